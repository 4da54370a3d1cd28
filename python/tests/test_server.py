"""``client.server``: health and readiness on both clients, and a 503 that is an answer."""

from __future__ import annotations

import pytest
from conftest import Handler, Recorder, error_reply, invoke, reply

from workspace_sdk import ReplicaStatus, ServerHealth, ServerReadiness, WorkspaceError

HEALTH = {"status": "ok", "version": "1.2.3", "field_from_the_future": 1,
          "replica": {"id": "wm-b:8080", "leader": False, "leader_id": "wm-a:8080"}}  # fmt: skip


def not_ready(details: object) -> Recorder:
    body = {"error": {"code": 1006, "message": "a dependency is not answering", "details": details}}
    return Recorder(reply(503, body))


def test_health_parses_the_replica(kind: str) -> None:
    recorder = Recorder(reply(200, HEALTH))
    health = invoke(kind, recorder, "health", service="server")
    assert health == ServerHealth("ok", "1.2.3", ReplicaStatus("wm-b:8080", False, "wm-a:8080"))
    assert (recorder.last.method, recorder.last.url.path) == ("GET", "/health")
    assert len(recorder.requests) == 1


def test_health_keeps_a_null_leader_id(kind: str) -> None:
    body = {**HEALTH, "replica": {"id": "a", "leader": False, "leader_id": None}}
    health = invoke(kind, reply(200, body), "health", service="server")
    assert health.replica == ReplicaStatus("a", False, None)


@pytest.mark.parametrize(
    ("body", "lacks"),
    [({"status": "ok", "version": "1"}, "lacks replica"),
     ({**HEALTH, "replica": {"id": "a", "leader": True}}, "ReplicaStatus.*lacks leader_id"),
     ({**HEALTH, "replica": None}, "expected a JSON object for ReplicaStatus")],
)  # fmt: skip
def test_health_without_a_whole_replica_is_a_bad_response(
    kind: str, body: object, lacks: str
) -> None:
    with pytest.raises(WorkspaceError, match=lacks) as info:
        invoke(kind, reply(200, body), "health", service="server")
    assert info.value.code == 9003


def test_ready(kind: str) -> None:
    recorder = Recorder(reply(200, {"status": "ready", "checks": {"store": "ok", "engine": "ok"}}))
    readiness = invoke(kind, recorder, "ready", service="server")
    assert readiness == ServerReadiness(True, {"store": "ok", "engine": "ok"})
    assert (recorder.last.method, recorder.last.url.path) == ("GET", "/ready")


def test_a_503_with_code_1006_is_not_ready_with_the_checks(kind: str) -> None:
    details = {"store": "timed out after 3000 ms", "engine": "ok"}
    readiness = invoke(kind, not_ready(details), "ready", service="server")
    assert readiness == ServerReadiness(False, details)


def test_a_bare_503_is_not_ready_without_checks(kind: str) -> None:
    readiness = invoke(kind, reply(503, b"no healthy upstream"), "ready", service="server")
    assert readiness == ServerReadiness(False, {})


@pytest.mark.parametrize(
    ("handler", "code", "status"),
    [(error_reply(1002, 401), 1002, 401),
     (error_reply(1000, 500), 1000, 500),
     (error_reply(1006, 502), 1006, 502)],  # 1006 under another status is a failed call
)  # fmt: skip
def test_ready_raises_any_other_error(kind: str, handler: Handler, code: int, status: int) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, handler, "ready", service="server")
    assert (info.value.code, info.value.status) == (code, status)


def test_ready_without_checks_is_a_bad_response(kind: str) -> None:
    with pytest.raises(WorkspaceError, match="checks") as info:
        invoke(kind, reply(200, {"status": "ready"}), "ready", service="server")
    assert info.value.code == 9003


def test_health_raises_on_a_503(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, not_ready({"store": "down"}), "health", service="server")
    assert (info.value.code, info.value.status) == (1006, 503)
