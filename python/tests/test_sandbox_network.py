"""``client.sandbox`` network policy: ``network=`` at create, ``network``, ``update_network``."""

from __future__ import annotations

import pytest
from conftest import Recorder, body_json, error_reply, invoke, reply

from workspace_sdk import (
    CreateSandboxParams,
    DeniedDestination,
    NetworkDenials,
    NetworkPolicy,
    NetworkStatus,
    SandboxNotFoundError,
    WorkspaceError,
)

T0 = "2026-01-01T00:00:00.000Z"
STATUS = {
    "mode": "allowlist",
    "allow": ["pypi.org", "10.0.0.0/8:5432"],
    "denied": {"count": 1, "recent": [{"host": "evil.example", "port": None, "at": T0}]},
}
PARSED = NetworkStatus(
    "allowlist",
    ["pypi.org", "10.0.0.0/8:5432"],
    NetworkDenials(1, [DeniedDestination("evil.example", T0, None)]),
)
SB = {"id": "sb1", "workspace_id": "ws1", "template": "t:1", "state": "running",
      "created_at": T0, "updated_at": T0, "network_mode": "allowlist",
      "network": STATUS}  # fmt: skip


def test_create_sends_the_policy_and_reads_it_back(kind: str) -> None:
    recorder = Recorder(reply(201, SB))
    policy = NetworkPolicy("allowlist", ["pypi.org", "10.0.0.0/8:5432"])
    sandbox = invoke(kind, recorder, "create", CreateSandboxParams("ws1", network=policy),
                     service="sandbox")  # fmt: skip
    assert body_json(recorder.last) == {
        "workspace_id": "ws1",
        "network": {"mode": "allowlist", "allow": ["pypi.org", "10.0.0.0/8:5432"]},
    }
    assert sandbox.network == PARSED
    assert sandbox.network_mode == "allowlist"


def test_update_network_patches_and_network_reads(kind: str) -> None:
    recorder = Recorder(reply(200, {**STATUS, "mode": "open", "allow": []}))
    updated = invoke(kind, recorder, "update_network", "a/b", NetworkPolicy("open"),
                     service="sandbox")  # fmt: skip
    request = recorder.last
    assert (request.method, request.url.raw_path.decode()) == (
        "PATCH",
        "/v1/sandboxes/a%2Fb/network",
    )
    assert body_json(request) == {"mode": "open"}
    assert (updated.mode, updated.allow, updated.denied.count) == ("open", [], 1)
    recorder = Recorder(reply(200, STATUS))
    assert invoke(kind, recorder, "network", "sb1", service="sandbox") == PARSED
    assert (recorder.last.method, recorder.last.url.path) == ("GET", "/v1/sandboxes/sb1/network")


def test_refusals_use_the_error_table(kind: str) -> None:
    bad = Recorder(error_reply(1001, 400, 'allow entry "a b" is no valid host name'))
    with pytest.raises(WorkspaceError) as raised:
        invoke(kind, bad, "update_network", "sb1", NetworkPolicy("allowlist", ["a b"]),
               service="sandbox")  # fmt: skip
    assert raised.value.code == 1001
    with pytest.raises(SandboxNotFoundError):
        invoke(kind, Recorder(error_reply(2001, 404)), "network", "sb9", service="sandbox")
    with pytest.raises(TypeError):
        invoke(kind, Recorder(reply(200, STATUS)), "update_network", "sb1", {"mode": "open"},
               service="sandbox")  # fmt: skip
