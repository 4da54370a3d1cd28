"""``client.sandbox``: each method sends the route of docs/api.md and parses the reply."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx
import pytest
from conftest import Recorder, body_json, error_reply, invoke, reply

from workspace_sdk import (
    CreateSandboxParams,
    Sandbox,
    SandboxNotFoundError,
    TemplateNotFoundError,
    WorkspaceError,
    WorkspaceNotFoundError,
)

T0 = "2026-01-01T00:00:00.000Z"
SB = {"id": "sb1", "workspace_id": "ws1", "template": "workspace-test:latest", "state": "running",
      "created_at": T0, "updated_at": T0, "name": "n", "env": {"A": "1"}, "metadata": None,
      "timeout": 3600, "error_message": None, "cpu": 1, "memory": 536870912,
      "network_mode": "none", "application_kind": None, "expires_at": T0,
      "field_from_the_future": [1]}  # fmt: skip
SANDBOX = Sandbox("sb1", "ws1", "workspace-test:latest", "running", T0, T0, "n", {"A": "1"},
                  None, 3600, None, 1, 536870912, "none", None, T0)  # fmt: skip
# A stopped sandbox with the lifecycle fields a server of this version sends.
STOPPED = {**SB, "state": "stopped", "on_idle": "stop", "on_timeout": "delete",
           "auto_resume": True, "desired_state": "stopped"}  # fmt: skip
STOPPED_SANDBOX = replace(SANDBOX, state="stopped", on_idle="stop", on_timeout="delete",
                          auto_resume=True, desired_state="stopped")  # fmt: skip
MINIMAL = {
    k: SB[k] for k in ("id", "workspace_id", "template", "state", "created_at", "updated_at")
}

# method, args, kwargs, canned (status, body), expected (method, path, query, json), result
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, Any], tuple[Any, ...], Any]] = [
    ("create", (CreateSandboxParams(workspace_id="ws1", template="t:1", env={"A": "1"}),), {},
     (201, SB), ("POST", "/v1/sandboxes", {}, {"workspace_id": "ws1", "template": "t:1",
                                                "env": {"A": "1"}}), SANDBOX),
    ("create", (CreateSandboxParams("ws1", cpu=0.5, memory="512m", timeout=60),), {}, (201, SB),
     ("POST", "/v1/sandboxes", {}, {"workspace_id": "ws1", "cpu": 0.5, "memory": "512m",
                                     "timeout": 60}), SANDBOX),
    ("get", ("sb1",), {}, (200, SB), ("GET", "/v1/sandboxes/sb1", {}, None), SANDBOX),
    ("get", ("a/b",), {}, (200, MINIMAL), ("GET", "/v1/sandboxes/a%2Fb", {}, None),
     Sandbox("sb1", "ws1", "workspace-test:latest", "running", T0, T0)),
    ("list", (), {}, (200, {"sandboxes": [SB]}), ("GET", "/v1/sandboxes", {}, None), [SANDBOX]),
    ("list", ("running",), {}, (200, {"sandboxes": []}),
     ("GET", "/v1/sandboxes", {"state": "running"}, None), []),
    ("list", (), {"workspace_id": "ws1", "state": "error"}, (200, {"sandboxes": []}),
     ("GET", "/v1/sandboxes", {"state": "error", "workspace_id": "ws1"}, None), []),
    ("exists", ("sb1",), {}, (200, SB), ("GET", "/v1/sandboxes/sb1", {}, None), True),
    ("delete", ("sb1",), {}, (204, None),
     ("DELETE", "/v1/sandboxes/sb1", {"force": "false"}, None), None),
    ("delete", ("sb1",), {"force": True}, (204, None),
     ("DELETE", "/v1/sandboxes/sb1", {"force": "true"}, None), None),
    ("wait_for_state", ("sb1", "running"), {}, (200, SB),
     ("GET", "/v1/sandboxes/sb1", {}, None), SANDBOX),
    ("create", (CreateSandboxParams("ws1", on_idle="pause", on_timeout="stop",
                                    auto_resume=False),), {}, (201, SB),
     ("POST", "/v1/sandboxes", {}, {"workspace_id": "ws1", "on_idle": "pause",
                                     "on_timeout": "stop", "auto_resume": False}), SANDBOX),
    ("stop", ("sb1",), {}, (200, STOPPED), ("POST", "/v1/sandboxes/sb1/stop", {}, None),
     STOPPED_SANDBOX),
    ("start", ("a/b",), {}, (200, SB), ("POST", "/v1/sandboxes/a%2Fb/start", {}, None), SANDBOX),
    ("pause", ("sb1",), {}, (200, {**SB, "state": "paused"}),
     ("POST", "/v1/sandboxes/sb1/pause", {}, None), replace(SANDBOX, state="paused")),
    ("resume", ("sb1",), {}, (200, SB), ("POST", "/v1/sandboxes/sb1/resume", {}, None),
     SANDBOX),
    ("wait_for_state", ("sb1", "paused"), {}, (200, {**SB, "state": "paused"}),
     ("GET", "/v1/sandboxes/sb1", {}, None), replace(SANDBOX, state="paused")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "canned", "expected", "result"),
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
def test_call(
    kind: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    canned: tuple[int, Any],
    expected: tuple[Any, ...],
    result: Any,
) -> None:
    recorder = Recorder(reply(*canned))
    assert invoke(kind, recorder, method, *args, service="sandbox", **kwargs) == result
    request = recorder.last
    http_method, path, query, json_body = expected
    assert (request.method, request.url.path, dict(request.url.params)) == (
        http_method,
        path.replace("%2F", "/"),
        query,
    )
    assert request.url.raw_path.decode().split("?")[0] == path
    if json_body is not None:
        assert body_json(request) == json_body
    elif method != "create":
        assert request.content == b""


def timeouts(request: httpx.Request) -> dict[str, float]:
    return request.extensions["timeout"]


def test_create_delete_and_lifecycle_use_the_create_timeout(kind: str) -> None:
    recorder = Recorder(reply(201, SB))
    options = {"create_timeout": 777, "timeout": 5}
    invoke(kind, recorder, "create", CreateSandboxParams("ws1"), service="sandbox",
           client_options=options)  # fmt: skip
    assert timeouts(recorder.last)["read"] == 777
    recorder = Recorder(reply(200, SB))
    invoke(kind, recorder, "get", "sb1", service="sandbox", client_options=options)
    assert timeouts(recorder.last)["read"] == 5
    recorder = Recorder(reply(204))
    invoke(kind, recorder, "delete", "sb1", service="sandbox", client_options=options)
    assert timeouts(recorder.last)["read"] == 777
    for action in ("stop", "start", "pause", "resume"):
        recorder = Recorder(reply(200, SB))
        invoke(kind, recorder, action, "sb1", service="sandbox", client_options=options)
        assert timeouts(recorder.last)["read"] == 777, action


def test_create_leaves_out_lifecycle_fields_not_set(kind: str) -> None:
    recorder = Recorder(reply(201, SB))
    invoke(kind, recorder, "create", CreateSandboxParams("ws1"), service="sandbox")
    assert body_json(recorder.last) == {"workspace_id": "ws1"}
    got = invoke(kind, reply(200, MINIMAL), "get", "sb1", service="sandbox")
    assert (got.on_idle, got.on_timeout, got.auto_resume, got.desired_state) == (None,) * 4


def test_lifecycle_errors(kind: str) -> None:
    with pytest.raises(SandboxNotFoundError):
        invoke(kind, error_reply(2001, 404), "stop", "sb1", service="sandbox")
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, error_reply(2002, 409, "sandbox is stopped"), "pause", "sb1",
               service="sandbox")  # fmt: skip
    assert (type(info.value), info.value.code, info.value.status) == (WorkspaceError, 2002, 409)
    recorder = Recorder(reply(200, SB))
    for action in ("stop", "start", "pause", "resume"):
        with pytest.raises(ValueError, match="sandbox id"):
            invoke(kind, recorder, action, "", service="sandbox")
    assert recorder.requests == []


def test_errors(kind: str) -> None:
    with pytest.raises(TemplateNotFoundError):
        invoke(
            kind, error_reply(2003, 404), "create", CreateSandboxParams("ws1"), service="sandbox"
        )
    with pytest.raises(WorkspaceNotFoundError):
        invoke(
            kind, error_reply(7001, 404), "create", CreateSandboxParams("ws1"), service="sandbox"
        )
    with pytest.raises(SandboxNotFoundError):
        invoke(kind, error_reply(2001, 404), "get", "sb1", service="sandbox")


def test_exists_is_false_only_for_2001(kind: str) -> None:
    assert invoke(kind, error_reply(2001, 404), "exists", "sb1", service="sandbox") is False
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, error_reply(1001, 400), "exists", "bad id", service="sandbox")
    assert info.value.code == 1001


def test_bad_arguments_raise_before_sending(kind: str) -> None:
    recorder = Recorder(reply(200, SB))
    with pytest.raises(ValueError, match="sandbox id"):
        invoke(kind, recorder, "get", "", service="sandbox")
    with pytest.raises(TypeError, match="CreateSandboxParams"):
        invoke(kind, recorder, "create", {"workspace_id": "ws1"}, service="sandbox")
    with pytest.raises(ValueError, match="state must be one of"):
        invoke(kind, recorder, "wait_for_state", "sb1", "runing", service="sandbox")
    assert recorder.requests == []


def states(*sequence: dict[str, Any]) -> Recorder:
    """Answer successive GETs with the given sandboxes; the last one repeats."""
    replies = list(sequence)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=replies.pop(0) if len(replies) > 1 else replies[0])

    return Recorder(handler)


def test_wait_for_state_polls_until_reached(kind: str) -> None:
    recorder = states({**SB, "state": "starting"}, {**SB, "state": "starting"}, SB)
    got = invoke(
        kind, recorder, "wait_for_state", "sb1", "running", interval=0.01, service="sandbox"
    )
    assert got == SANDBOX
    assert len(recorder.requests) == 3


def test_wait_for_state_raises_on_error_state(kind: str) -> None:
    recorder = states({**SB, "state": "starting"}, {**SB, "state": "error", "error_message": "OOM"})
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, recorder, "wait_for_state", "sb1", "running", interval=0.01, service="sandbox")
    error = info.value
    assert error.code == 2002 and "OOM" in error.message and "running" in error.message
    assert error.details == {"sandbox_id": "sb1", "state": "error", "error_message": "OOM"}
    # waiting for the error state itself succeeds
    recorder = states({**SB, "state": "error", "error_message": "OOM"})
    got = invoke(kind, recorder, "wait_for_state", "sb1", "error", service="sandbox")
    assert got.error_message == "OOM"


def test_wait_for_state_follows_pause_and_resume(kind: str) -> None:
    recorder = states({**SB, "state": "pausing"}, {**SB, "state": "paused"})
    got = invoke(kind, recorder, "wait_for_state", "sb1", "paused", interval=0.01,
                 service="sandbox")  # fmt: skip
    assert got.state == "paused" and len(recorder.requests) == 2
    recorder = states({**SB, "state": "resuming"}, {**SB, "state": "resuming"}, SB)
    got = invoke(kind, recorder, "wait_for_state", "sb1", "running", interval=0.01,
                 service="sandbox")  # fmt: skip
    assert got.state == "running" and len(recorder.requests) == 3
    recorder = states({**SB, "state": "stopping"}, {**SB, "state": "error", "error_message": "x"})
    with pytest.raises(WorkspaceError, match="while waiting for stopped: x"):
        invoke(kind, recorder, "wait_for_state", "sb1", "stopped", interval=0.01,
               service="sandbox")  # fmt: skip


def test_wait_for_state_times_out(kind: str) -> None:
    recorder = states({**SB, "state": "starting"})
    started = time.monotonic()
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, recorder, "wait_for_state", "sb1", "running", timeout=0.2, interval=0.05,
               service="sandbox")  # fmt: skip
    assert 0.2 <= time.monotonic() - started < 2
    assert info.value.code == 9002 and "still starting after 0.2 s" in info.value.message
    assert info.value.details == {"sandbox_id": "sb1", "state": "starting", "wanted": "running"}
    assert 3 <= len(recorder.requests) <= 8


def test_wait_for_state_default_timeout_is_create_timeout(kind: str) -> None:
    recorder = states({**SB, "state": "starting"})
    with pytest.raises(WorkspaceError, match=r"after 0\.1 s"):
        invoke(kind, recorder, "wait_for_state", "sb1", "running", interval=0.02,
               service="sandbox", client_options={"create_timeout": 0.1})  # fmt: skip


def test_wait_for_state_propagates_removal(kind: str) -> None:
    with pytest.raises(SandboxNotFoundError):
        invoke(kind, error_reply(2001, 404), "wait_for_state", "sb1", "stopped", service="sandbox")


def test_sandbox_contract_field_order() -> None:
    # The seed README's positional order must never change; new fields only append.
    names = list(Sandbox.__dataclass_fields__)[:11]
    assert names == ["id", "workspace_id", "template", "state", "created_at", "updated_at",
                     "name", "env", "metadata", "timeout", "error_message"]  # fmt: skip
    assert list(Sandbox.__dataclass_fields__)[-7:] == [
        "on_idle",
        "on_timeout",
        "auto_resume",
        "desired_state",
        "network",
        "disk_bytes",
        "secrets",
    ]
