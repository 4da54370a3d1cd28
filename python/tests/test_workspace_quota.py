"""Workspace quotas: ``quota_bytes`` on create, ``update_quota``, the fields of a workspace."""

from __future__ import annotations

import pytest
from conftest import Recorder, body_json, error_reply, invoke, reply

from workspace_sdk import CreateWorkspaceParams, Workspace, errors

MIB = 1024**2
WS = {"id": "ws1", "name": None, "metadata": None, "nfs_url": None,
      "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
      "quota_bytes": 20 * MIB, "used_bytes": 16384}  # fmt: skip


def test_create_sends_quota_bytes_and_reads_the_fields(kind: str) -> None:
    handler = Recorder(reply(201, WS))
    ws = invoke(kind, handler, "create", CreateWorkspaceParams(quota_bytes=20 * MIB))
    assert isinstance(ws, Workspace)
    assert (ws.quota_bytes, ws.used_bytes) == (20 * MIB, 16384)
    assert body_json(handler.last) == {"quota_bytes": 20 * MIB}


def test_create_without_a_quota_leaves_it_to_the_server(kind: str) -> None:
    handler = Recorder(reply(201, {**WS, "quota_bytes": None, "used_bytes": None}))
    ws = invoke(kind, handler, "create", CreateWorkspaceParams(name="n"))
    assert body_json(handler.last) == {"name": "n"}
    assert (ws.quota_bytes, ws.used_bytes) == (None, None)


def test_a_reply_from_an_older_server_has_no_quota_fields(kind: str) -> None:
    older = {k: v for k, v in WS.items() if k not in ("quota_bytes", "used_bytes")}
    ws = invoke(kind, reply(200, older), "get", "ws1")
    assert (ws.quota_bytes, ws.used_bytes) == (None, None)


def test_update_quota_patches_and_none_lifts(kind: str) -> None:
    handler = Recorder(reply(200, {**WS, "quota_bytes": 40 * MIB}))
    ws = invoke(kind, handler, "update_quota", "a/b", 40 * MIB)
    assert ws.quota_bytes == 40 * MIB
    assert (handler.last.method, handler.last.url.raw_path) == ("PATCH", b"/v1/workspaces/a%2Fb")
    assert body_json(handler.last) == {"quota_bytes": 40 * MIB}
    handler = Recorder(reply(200, {**WS, "quota_bytes": None}))
    invoke(kind, handler, "update_quota", "ws1", None)
    assert body_json(handler.last) == {"quota_bytes": None}


def test_a_write_past_the_quota_is_code_5007(kind: str) -> None:
    with pytest.raises(errors.WorkspaceError) as raised:
        invoke(kind, error_reply(5007, 507, "Disk quota exceeded"), "write_file", "ws1", "a", "x")
    assert (raised.value.code, raised.value.status) == (5007, 507)
