"""wm_client.SplunkWorkspace: credentials from SPLUNK_USERNAME / SPLUNK_PASSWORD, and search."""

from __future__ import annotations

import logging

import pytest
from test_wm_client_support import FakeApi

from wm_client import ConfigurationError, SplunkWorkspace, splunk_credentials
from workspace_sdk import WorkspaceError

SECRET = "s3cret-Pa55"


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def splunk_env(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    clean_env.setenv("SPLUNK_USERNAME", "admin")
    clean_env.setenv("SPLUNK_PASSWORD", SECRET)
    return clean_env


@pytest.fixture
def no_splunk_env(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    clean_env.delenv("SPLUNK_USERNAME", raising=False)
    clean_env.delenv("SPLUNK_PASSWORD", raising=False)
    return clean_env


def test_creates_a_splunk_workspace_with_the_credentials(
    api: FakeApi, splunk_env: pytest.MonkeyPatch
) -> None:
    splunk = SplunkWorkspace(api.client(), image="splunk/splunk:9", env={"TZ": "UTC"}, mem="4g")
    (request,) = api.seen("POST", "/v1/sandboxes")
    body = api.body(request)
    assert body["application_kind"] == "splunk"
    assert (body["template"], body["memory"]) == ("splunk/splunk:9", "4g")
    assert body["env"] == {"TZ": "UTC", "SPLUNK_USERNAME": "admin", "SPLUNK_PASSWORD": SECRET}
    assert splunk.sandbox_id == splunk.handle.sandbox_id and splunk.id == splunk.handle.id


def test_search_posts_the_query_and_returns_result_dicts(
    api: FakeApi, splunk_env: pytest.MonkeyPatch
) -> None:
    splunk = SplunkWorkspace(api.client())
    assert splunk.search("index=main | head 1") == [{"_raw": "line", "host": "h1"}]
    request = api.requests[-1]
    assert request.url.path == f"/v1/sandboxes/{splunk.sandbox_id}/splunk/search"
    assert api.body(request) == {"query": "index=main | head 1"}
    assert request.extensions["timeout"]["read"] == 95.0  # server default 60 s plus slack
    splunk.search("error", timeout=5)
    assert api.body(api.requests[-1]) == {"query": "error", "timeout": 5}
    assert api.requests[-1].extensions["timeout"]["read"] == 40.0
    with pytest.raises(ValueError, match="non-empty query"):
        splunk.search("  ")


def test_explicit_credentials_beat_the_environment(
    api: FakeApi, splunk_env: pytest.MonkeyPatch
) -> None:
    SplunkWorkspace(api.client(), username="ops", password="other")
    env = api.body(api.seen("POST", "/v1/sandboxes")[-1])["env"]
    assert env == {"SPLUNK_USERNAME": "ops", "SPLUNK_PASSWORD": "other"}
    assert splunk_credentials(env={}, username="u", password="p") == {
        "SPLUNK_USERNAME": "u",
        "SPLUNK_PASSWORD": "p",
    }


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SPLUNK_USERNAME and SPLUNK_PASSWORD"),
        ({"SPLUNK_USERNAME": "admin"}, "SPLUNK_PASSWORD"),
        ({"SPLUNK_PASSWORD": SECRET}, "SPLUNK_USERNAME"),
        ({"SPLUNK_USERNAME": "admin", "SPLUNK_PASSWORD": "  "}, "SPLUNK_PASSWORD"),
    ],
)
def test_missing_credentials_fail_clearly_before_anything_is_created(
    api: FakeApi, no_splunk_env: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for name, value in env.items():
        no_splunk_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"set {missing} in the environment") as info:
        SplunkWorkspace(api.client())
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    # ``details`` names what is missing, for programs that react to it (not the message only)
    assert (info.value.code, info.value.details) == (9000, {"missing": missing.split(" and ")})
    assert api.requests == []


def test_wraps_an_existing_splunk_handle(api: FakeApi, splunk_env: pytest.MonkeyPatch) -> None:
    client = api.client()
    handle = client.create_workspace(application_kind="splunk")
    splunk = SplunkWorkspace(handle)
    assert splunk.handle is handle
    assert len(api.seen("POST", "/v1/sandboxes")) == 1  # nothing new created
    assert splunk.search("x") == api.search_results
    other = client.create_workspace(application_kind="notebook")
    with pytest.raises(ValueError, match="kind 'notebook'"):
        SplunkWorkspace(other)


def test_a_handle_still_needs_the_credentials(
    api: FakeApi, no_splunk_env: pytest.MonkeyPatch
) -> None:
    handle = api.client().create_workspace(application_kind="splunk")
    with pytest.raises(ConfigurationError, match="SPLUNK_USERNAME and SPLUNK_PASSWORD"):
        SplunkWorkspace(handle)


def test_the_password_never_shows(
    api: FakeApi, splunk_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = api.client()
    with caplog.at_level(logging.DEBUG):
        splunk = SplunkWorkspace(client)
        splunk.search("x")
        listed = client.list_workspaces()[0]
        splunk.refresh()
    shown = [repr(splunk), str(splunk), repr(splunk.handle), repr(splunk.sandbox), repr(listed)]
    shown += [repr(listed.sandbox), repr(client.get_workspace(splunk.id).sandbox), caplog.text]
    for text in shown:
        assert SECRET not in text
    assert splunk.sandbox is not None and splunk.sandbox.env is not None
    assert splunk.sandbox.env["SPLUNK_PASSWORD"] == "<redacted>"
    assert splunk.sandbox.env["SPLUNK_USERNAME"] == "admin"
    assert not any(SECRET in str(value) for value in vars(splunk).values())


def test_a_failed_creation_leaves_nothing_and_shows_no_secret(
    api: FakeApi, splunk_env: pytest.MonkeyPatch
) -> None:
    api.sandbox_failure = (400, 1001)
    with pytest.raises(WorkspaceError) as info:
        SplunkWorkspace(api.client())
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert api.workspaces == {} and api.sandboxes == {}


def test_as_a_context_manager_it_deletes_the_workspace(
    api: FakeApi, splunk_env: pytest.MonkeyPatch
) -> None:
    with SplunkWorkspace(api.client()) as splunk:
        assert splunk.search("x")
    assert api.workspaces == {} and api.sandboxes == {}


def test_without_a_client_it_builds_one_from_the_environment(
    splunk_env: pytest.MonkeyPatch,
) -> None:
    splunk_env.setenv("WORKSPACE_API_URL", "http://127.0.0.1:1")  # nothing listens there
    with pytest.raises(WorkspaceError) as info:
        SplunkWorkspace()
    assert info.value.code == 9001 and "127.0.0.1:1" in info.value.message
