"""wm_client.WorkspaceManagerClient: health, one-call workspaces, listing and deletion."""

from __future__ import annotations

import logging

import httpx
import pytest
from test_wm_client_support import URL, FakeApi

from wm_client import WorkspaceHandle, WorkspaceManagerClient
from workspace_sdk import (
    CreateSandboxParams,
    TemplateNotFoundError,
    WorkspaceError,
    WorkspaceNotFoundError,
)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


def test_health(api: FakeApi) -> None:
    with api.client() as client:
        assert client.health() == {"status": "ok", "version": "0.1.0"}
    assert api.requests[-1].url == f"{URL}/health"


def test_application_kinds(api: FakeApi) -> None:
    kinds = api.client().application_kinds()
    assert kinds == [{"kind": "splunk", "plugin": "splunk", "template": "wm-splunk-standin:latest"}]
    assert api.requests[-1].url.path == "/v1/application-kinds"


def test_create_workspace_makes_a_workspace_and_its_primary_sandbox(api: FakeApi) -> None:
    client = api.client()
    ws = client.create_workspace(
        image="python:3.12",
        application_kind="notebook",
        cpu="500m",
        mem="512m",
        env={"A": "1"},
        name="demo",
        metadata={"team": "x"},
    )
    assert isinstance(ws, WorkspaceHandle)
    (ws_request,) = api.seen("POST", "/v1/workspaces")
    assert api.body(ws_request) == {"name": "demo", "metadata": {"team": "x"}}
    (sb_request,) = api.seen("POST", "/v1/sandboxes")
    assert api.body(sb_request) == {
        "workspace_id": ws.id,
        "template": "python:3.12",
        "name": "demo",
        "env": {"A": "1"},
        "cpu": "500m",
        "memory": "512m",
        "application_kind": "notebook",
    }
    assert "wait" not in sb_request.url.params  # the server waits until it runs
    assert (ws.sandbox_id, ws.application_kind, ws.name) == ("sb2", "notebook", "demo")
    assert ws.sandbox is not None and ws.sandbox.state == "running"
    assert repr(ws) == "WorkspaceHandle(id='ws1', sandbox_id='sb2', workdir='/workspace')"


def test_create_workspace_with_defaults_sends_only_the_workspace_id(api: FakeApi) -> None:
    ws = api.client().create_workspace()
    (sb_request,) = api.seen("POST", "/v1/sandboxes")
    assert api.body(sb_request) == {"workspace_id": ws.id}
    assert api.body(api.seen("POST", "/v1/workspaces")[0]) == {}


def test_wait_ready_false_returns_a_starting_sandbox_without_waiting(api: FakeApi) -> None:
    api.first_state = "starting"
    api.polls_until_running = 5
    ws = api.client().create_workspace(wait_ready=False)
    (sb_request,) = api.seen("POST", "/v1/sandboxes")
    assert sb_request.url.params["wait"] == "false"
    assert ws.sandbox is not None and ws.sandbox.state == "starting"
    assert not api.seen("GET", r"/v1/sandboxes/sb2")


def test_wait_ready_polls_a_sandbox_that_is_still_starting(api: FakeApi) -> None:
    api.first_state = "starting"
    api.polls_until_running = 1
    ws = api.client().create_workspace()
    assert ws.sandbox is not None and ws.sandbox.state == "running"
    assert len(api.seen("GET", r"/v1/sandboxes/sb2")) == 2


def test_a_failed_sandbox_leaves_nothing_behind(api: FakeApi) -> None:
    api.sandbox_failure = (404, 2003)
    client = api.client()
    with pytest.raises(TemplateNotFoundError):
        client.create_workspace(image="nope:latest")
    assert api.workspaces == {} and api.sandboxes == {}
    (delete_sandbox,) = api.seen("DELETE", r"/v1/sandboxes/sb2")
    assert delete_sandbox.url.params["force"] == "true"  # sandboxes first, then the workspace
    assert api.requests[-1].method == "DELETE" and api.requests[-1].url.path == "/v1/workspaces/ws1"


def test_create_timeout_bounds_the_wait_and_cleans_up(api: FakeApi) -> None:
    api.first_state = "starting"
    api.polls_until_running = 10**9
    client = api.client(create_timeout=0.3)
    with pytest.raises(WorkspaceError) as info:
        client.create_workspace()
    assert info.value.code == 9002
    assert "WM_CREATE_TIMEOUT" in info.value.message and "0.3 s" in info.value.message
    assert api.workspaces == {} and api.sandboxes == {}


def test_create_timeout_argument_beats_the_client_setting(api: FakeApi) -> None:
    api.first_state = "starting"
    api.polls_until_running = 10**9
    client = api.client(create_timeout=600)
    with pytest.raises(WorkspaceError, match=r"within 0.2 s"):
        client.create_workspace(timeout=0.2)
    timeout = api.seen("POST", "/v1/sandboxes")[0].extensions["timeout"]
    assert 0 < timeout["read"] <= 0.2


def test_a_network_failure_while_creating_also_cleans_up(api: FakeApi) -> None:
    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v1/sandboxes":
            api.requests.append(request)
            raise httpx.ConnectError("connection reset")
        return api(request)

    client = WorkspaceManagerClient(URL, transport=httpx.MockTransport(flaky))
    with pytest.raises(WorkspaceError) as info:
        client.create_workspace()
    assert info.value.code == 9001
    assert api.workspaces == {}


def test_a_failed_cleanup_is_reported_not_raised(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.sandbox_failure = (500, 1000)

    def refuse_delete(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE" and request.url.path.startswith("/v1/workspaces/"):
            return httpx.Response(500, json={"error": {"code": 1000, "message": "disk gone"}})
        return api(request)

    client = WorkspaceManagerClient(URL, transport=httpx.MockTransport(refuse_delete))
    with (
        caplog.at_level(logging.WARNING, logger="wm_client"),
        pytest.raises(WorkspaceError) as info,
    ):
        client.create_workspace()
    assert info.value.code == 1000 and "disk gone" in info.value.details["cleanup_error"]
    assert "could not remove workspace ws1" in caplog.text


def test_list_workspaces_pairs_each_with_its_primary_sandbox(api: FakeApi) -> None:
    client = api.client()
    first = client.create_workspace(name="a")
    bare = client.sdk.workspace.create()
    api.sandboxes[first.sandbox_id or ""]["state"] = "error"
    extra = client.sdk.sandbox.create(CreateSandboxParams(workspace_id=first.id))
    handles = client.list_workspaces()
    assert [h.id for h in handles] == [first.id, bare.id]
    assert handles[0].sandbox_id == extra.id  # the running one, not the older broken one
    assert handles[1].sandbox_id is None
    assert len(api.seen("GET", "/v1/sandboxes")) == 1  # one listing for all workspaces


def test_get_workspace(api: FakeApi) -> None:
    client = api.client()
    made = client.create_workspace()
    got = client.get_workspace(made.id)
    assert (got.id, got.sandbox_id) == (made.id, made.sandbox_id)
    assert api.requests[-1].url.params["workspace_id"] == made.id
    with pytest.raises(WorkspaceNotFoundError):
        client.get_workspace("nope")


def test_delete_workspace_deletes_its_sandboxes_first(api: FakeApi) -> None:
    client = api.client()
    ws = client.create_workspace()
    other = client.create_workspace()
    client.delete_workspace(ws.id)
    deletes = [r for r in api.requests if r.method == "DELETE"]
    assert [r.url.path for r in deletes] == [
        f"/v1/sandboxes/{ws.sandbox_id}",
        f"/v1/workspaces/{ws.id}",
    ]
    assert deletes[0].url.params["force"] == "false"  # a graceful stop by default
    assert list(api.workspaces) == [other.id]
    with pytest.raises(WorkspaceNotFoundError):
        client.delete_workspace(ws.id)


def test_delete_workspace_tolerates_a_sandbox_that_vanished_meanwhile(api: FakeApi) -> None:
    client = api.client()
    ws = client.create_workspace()

    def racing(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE" and request.url.path.startswith("/v1/sandboxes/"):
            api.sandboxes.clear()
            return httpx.Response(404, json={"error": {"code": 2001, "message": "gone"}})
        return api(request)

    WorkspaceManagerClient(URL, transport=httpx.MockTransport(racing)).delete_workspace(ws.id)
    assert api.workspaces == {}


def test_client_repr_and_sdk_access(api: FakeApi) -> None:
    client = api.client(api_key="secret-key")
    assert repr(client) == "WorkspaceManagerClient(base_url='http://127.0.0.1:8080')"
    assert "secret-key" not in repr(client) and "secret-key" not in repr(client.config)
    assert client.sdk.config is client.config
