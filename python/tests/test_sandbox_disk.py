"""A sandbox's root filesystem size: ``disk_bytes`` on create and on the sandbox."""

from __future__ import annotations

import pytest
from conftest import Recorder, body_json, error_reply, invoke, reply

from workspace_sdk import CreateSandboxParams, Sandbox, errors

MIB = 1024**2
T0 = "2026-01-01T00:00:00.000Z"
SB = {"id": "sb1", "workspace_id": "ws1", "template": "workspace-test:latest", "state": "running",
      "created_at": T0, "updated_at": T0, "disk_bytes": 2048 * MIB}  # fmt: skip


def test_create_sends_disk_bytes_and_reads_it_back(kind: str) -> None:
    handler = Recorder(reply(201, SB))
    params = CreateSandboxParams("ws1", disk_bytes="2GiB")
    sandbox = invoke(kind, handler, "create", params, service="sandbox")
    assert isinstance(sandbox, Sandbox)
    assert sandbox.disk_bytes == 2048 * MIB
    assert body_json(handler.last) == {"workspace_id": "ws1", "disk_bytes": "2GiB"}
    handler = Recorder(reply(201, SB))
    invoke(
        kind, handler, "create", CreateSandboxParams("ws1", disk_bytes=64 * MIB), service="sandbox"
    )
    assert body_json(handler.last) == {"workspace_id": "ws1", "disk_bytes": 64 * MIB}


def test_without_a_size_the_server_decides_and_null_is_unlimited(kind: str) -> None:
    handler = Recorder(reply(201, {**SB, "disk_bytes": None}))
    sandbox = invoke(kind, handler, "create", CreateSandboxParams("ws1"), service="sandbox")
    assert body_json(handler.last) == {"workspace_id": "ws1"}
    assert sandbox.disk_bytes is None
    older = {k: v for k, v in SB.items() if k != "disk_bytes"}
    assert invoke(kind, reply(200, older), "get", "sb1", service="sandbox").disk_bytes is None


def test_a_size_the_server_refuses_is_code_1001(kind: str) -> None:
    refusal = error_reply(1001, 400, "disk_bytes cannot be honoured: storage driver overlay2")
    with pytest.raises(errors.WorkspaceError) as raised:
        invoke(
            kind, refusal, "create", CreateSandboxParams("ws1", disk_bytes="64m"), service="sandbox"
        )
    assert (raised.value.code, raised.value.status) == (1001, 400)
    assert "overlay2" in str(raised.value)
