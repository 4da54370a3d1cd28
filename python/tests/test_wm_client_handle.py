"""wm_client.WorkspaceHandle: commands, files, token transfers, ports, checkpoints, deletion."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_wm_client_support import URL, FakeApi

from wm_client import Checkpoint, PortHint, WorkspaceHandle
from workspace_sdk import PermissionDeniedError, WorkspaceError


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def ws(api: FakeApi) -> WorkspaceHandle:
    return api.client(api_key="k-123").create_workspace()


def last_run(api: FakeApi) -> dict:
    return api.body(api.seen("POST", r"/v1/sandboxes/[^/]+/processes")[-1])


def test_exec_a_string_runs_through_the_shell_in_the_workdir(
    api: FakeApi, ws: WorkspaceHandle
) -> None:
    result = ws.exec("echo hi | tr a-z A-Z")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "ok\n", "")
    body = last_run(api)
    assert body["cmd"] == "/bin/sh" and body["args"] == ["-c", "echo hi | tr a-z A-Z"]
    assert body["cwd"] == "/workspace" and body["timeout"] == 300.0


def test_exec_a_list_runs_the_program_with_its_arguments(api: FakeApi, ws: WorkspaceHandle) -> None:
    ws.exec(["python3", "-c", "print(1)"], cwd="src", env={"X": "1"}, timeout=5)
    body = last_run(api)
    assert (body["cmd"], body["args"]) == ("python3", ["-c", "print(1)"])
    assert (body["cwd"], body["env"], body["timeout"]) == ("/workspace/src", {"X": "1"}, 5)
    ws.exec(["ls"], cwd="/tmp")
    assert last_run(api)["cwd"] == "/tmp"


def test_exec_reports_a_non_zero_exit_as_a_result(api: FakeApi, ws: WorkspaceHandle) -> None:
    api.run_result = {"exit_code": 3, "stdout": "", "stderr": "bad\n"}
    result = ws.exec("false")
    assert (result.exit_code, result.stderr) == (3, "bad\n")


@pytest.mark.parametrize("cmd", ["", "   ", [], [""], [1, 2], b"ls"])
def test_exec_refuses_an_empty_or_malformed_command(ws: WorkspaceHandle, cmd: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        ws.exec(cmd)  # type: ignore[arg-type]


def test_write_and_read_files_relative_or_under_the_workdir(
    api: FakeApi, ws: WorkspaceHandle
) -> None:
    info = ws.write_file("src/a.txt", "héllo")
    assert (info.path, info.size) == ("src/a.txt", len("héllo".encode()))
    assert ws.read_file("/workspace/src/a.txt") == "héllo"
    assert ws.read_file_bytes("src/a.txt") == "héllo".encode()
    ws.write_file("/workspace/../workspace/b.bin", b"\x00\xff")
    assert api.files[(ws.id, "b.bin")] == b"\x00\xff"
    request = api.seen("PUT", r"/v1/workspaces/[^/]+/files/content")[-1]
    assert request.headers["X-API-Key"] == "k-123"


@pytest.mark.parametrize("path", ["/etc/passwd", "/workspaces/x", "/workspace/../etc/passwd", "/"])
def test_absolute_paths_outside_the_workdir_are_refused_before_any_request(
    api: FakeApi, ws: WorkspaceHandle, path: str
) -> None:
    before = len(api.requests)
    for call in (ws.read_file, lambda p: ws.write_file(p, "x"), ws.upload_url):
        with pytest.raises(PermissionDeniedError, match="outside the workspace directory") as info:
            call(path)
        assert (info.value.code, info.value.status) == (5006, None)
    assert len(api.requests) == before


def test_upload_goes_through_a_token_url(api: FakeApi, ws: WorkspaceHandle, tmp_path: Path) -> None:
    local = tmp_path / "data.bin"
    local.write_bytes(bytes(range(256)) * 100)
    info = ws.upload(local, "/workspace/in/data.bin")
    assert (info.path, info.size) == ("in/data.bin", 25600)
    assert api.files[(ws.id, "in/data.bin")] == local.read_bytes()
    mint, put = api.requests[-2:]
    assert mint.url.path == f"/v1/workspaces/{ws.id}/files/tokens"
    assert api.body(mint) == {"path": "in/data.bin", "operation": "upload"}
    assert put.method == "PUT" and put.headers["Authorization"].startswith("Bearer wm1.")
    assert put.url.params["path"] == "in/data.bin"
    assert "token" not in put.url.params  # in the header only, out of access logs


def test_download_goes_through_a_token_url(
    api: FakeApi, ws: WorkspaceHandle, tmp_path: Path
) -> None:
    api.files[(ws.id, "out.txt")] = b"result"
    target = tmp_path / "out.txt"
    assert ws.download("out.txt", target) == 6
    assert target.read_bytes() == b"result"
    mint, get = api.requests[-2:]
    assert api.body(mint) == {"path": "out.txt", "operation": "download"}
    assert get.method == "GET" and get.headers["Authorization"].startswith("Bearer wm1.")


def test_token_urls_are_sent_to_the_client_base_url(
    api: FakeApi, ws: WorkspaceHandle, tmp_path: Path
) -> None:
    api.public_base = "https://files.example.com/wm"  # the server's public base
    api.files[(ws.id, "a.txt")] = b"a"
    ws.download("a.txt", tmp_path / "a.txt")
    assert str(api.requests[-1].url).startswith(f"{URL}/v1/workspaces/{ws.id}/files/content?")


def test_a_refused_token_raises(api: FakeApi, ws: WorkspaceHandle, tmp_path: Path) -> None:
    api.files[(ws.id, "a.txt")] = b"a"
    api.valid_tokens = False  # as if the token had been tampered with
    with pytest.raises(WorkspaceError) as info:
        ws.download("a.txt", tmp_path / "a.txt")
    assert (info.value.code, info.value.status) == (6001, 401)
    assert not (tmp_path / "a.txt").exists()


def test_upload_and_download_urls_for_third_parties(api: FakeApi, ws: WorkspaceHandle) -> None:
    url = ws.upload_url("x.txt")
    assert url.startswith(f"{URL}/v1/workspaces/{ws.id}/files/content?path=x.txt&token=wm1.")
    assert api.body(api.requests[-1]) == {"path": "x.txt", "operation": "upload"}
    ws.download_url("x.txt")
    assert api.body(api.requests[-1]) == {"path": "x.txt", "operation": "download"}
    token = ws.file_token("x.txt", "download")
    assert token.token not in repr(token) and "x.txt" in repr(token)
    with pytest.raises(ValueError, match="operation"):
        ws.file_token("x.txt", "delete")  # type: ignore[arg-type]


def test_port_url(api: FakeApi, ws: WorkspaceHandle) -> None:
    assert ws.port_url(8000) == f"{URL}/v1/sandboxes/{ws.sandbox_id}/proxy/8000/"
    assert ws.port_hint(5432) == PortHint(
        host="127.0.0.1", port=5432, url=f"{URL}/v1/sandboxes/{ws.sandbox_id}/proxy/5432/"
    )
    for bad in (0, 65536, "80", True):
        with pytest.raises(ValueError, match="port"):
            ws.port_url(bad)  # type: ignore[arg-type]


def test_checkpoint_list_restore_and_delete(api: FakeApi, ws: WorkspaceHandle) -> None:
    first = ws.checkpoint("before")
    assert isinstance(first, Checkpoint)
    assert (first.name, first.kind, first.sandbox_id) == ("before", "filesystem", ws.sandbox_id)
    assert api.body(api.requests[-1]) == {"name": "before"}
    second = ws.checkpoint()
    assert api.body(api.requests[-1]) == {}
    assert [c.id for c in ws.checkpoints()] == [first.id, second.id]
    sandbox = ws.restore(first.id)
    assert sandbox.template == first.image and ws.sandbox == sandbox
    assert api.requests[-1].url.path.endswith(f"/checkpoints/{first.id}/restore")
    ws.delete_checkpoint(second.id)
    assert [c.id for c in ws.checkpoints()] == [first.id]


def test_a_handle_without_a_sandbox_says_so(api: FakeApi) -> None:
    client = api.client()
    bare = client.get_workspace(client.sdk.workspace.create().id)
    for action in (lambda: bare.exec("ls"), lambda: bare.port_url(80), bare.checkpoint):
        with pytest.raises(WorkspaceError, match="has no sandbox"):
            action()
    bare.write_file("a.txt", "files still work")


def test_refresh_and_delete(api: FakeApi, ws: WorkspaceHandle) -> None:
    api.sandboxes[ws.sandbox_id or ""]["state"] = "stopped"
    assert ws.refresh().sandbox is not None and ws.sandbox.state == "stopped"  # type: ignore[union-attr]
    ws.delete()
    assert api.workspaces == {} and api.sandboxes == {}


def test_as_a_context_manager_the_handle_deletes_everything(api: FakeApi) -> None:
    with api.client().create_workspace() as ws:
        ws.exec("true")
        assert api.workspaces
    assert api.workspaces == {} and api.sandboxes == {}
