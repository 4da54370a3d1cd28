"""Live: every workspace and file method of the blocking client against a real server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from live import ALL_BYTES, BIG_SIZE, client_options, make_big_file, sha256_of, skip_unless_live

from workspace_sdk import (
    CreateWorkspaceParams,
    FileNotFoundError,
    PermissionDeniedError,
    Workspace,
    WorkspaceClient,
    WorkspaceError,
    WorkspaceNotFoundError,
)

pytestmark = skip_unless_live


def test_workspace_lifecycle(client: WorkspaceClient) -> None:
    params = CreateWorkspaceParams(name="life", metadata={"project": "demo"})
    workspace = client.workspace.create(params)
    assert (workspace.name, workspace.metadata) == ("life", {"project": "demo"})
    assert workspace.created_at and workspace.updated_at
    assert client.workspace.get(workspace.id) == workspace
    assert workspace.id in [w.id for w in client.workspace.list()]
    bare = client.workspace.create()
    assert bare.name is None
    client.workspace.delete(bare.id)
    client.workspace.delete(workspace.id)
    with pytest.raises(WorkspaceNotFoundError) as info:
        client.workspace.get(workspace.id)
    assert (info.value.code, info.value.status) == (7001, 404)
    with pytest.raises(WorkspaceNotFoundError):
        client.workspace.delete(workspace.id)


def test_file_round_trip(client: WorkspaceClient, ws: Workspace) -> None:
    w = client.workspace
    info = w.write_file(ws.id, "src/main.py", 'print("hello")')
    assert (info.path, info.type, info.size) == ("src/main.py", "file", 14)
    assert w.read_file(ws.id, "src/main.py") == 'print("hello")'
    assert w.read_file_bytes(ws.id, "src/main.py") == b'print("hello")'
    assert [(f.name, f.type) for f in w.list_files(ws.id)] == [("src", "directory")]
    assert [f.path for f in w.list_files(ws.id, "src")] == ["src/main.py"]
    assert w.mkdir(ws.id, "src/components/deep").type == "directory"
    assert w.mkdir(ws.id, "src/components").path == "src/components"  # parents: exists is fine
    with pytest.raises(WorkspaceError) as info_exists:
        w.mkdir(ws.id, "src/components", parents=False)
    assert info_exists.value.code == 5003
    assert w.copy_file(ws.id, "src/main.py", "src/backup.py").path == "src/backup.py"
    with pytest.raises(WorkspaceError) as conflict:
        w.copy_file(ws.id, "src/main.py", "src/backup.py")
    assert conflict.value.code == 5003
    w.write_file(ws.id, "src/other.py", "other")
    w.copy_file(ws.id, "src/other.py", "src/backup.py", overwrite=True)
    assert w.read_file(ws.id, "src/backup.py") == "other"
    assert w.move_file(ws.id, "src/backup.py", "src/old.py").name == "old.py"
    assert not w.exists(ws.id, "src/backup.py")
    w.move_file(ws.id, "src/other.py", "src/old.py", overwrite=True)
    assert w.read_file(ws.id, "src/old.py") == "other"
    w.delete_file(ws.id, "src/old.py")
    assert not w.exists(ws.id, "src/old.py")
    assert w.exists(ws.id, "src/main.py") and w.exists(ws.id, "")
    file_info = w.get_file_info(ws.id, "src/main.py")
    assert (file_info.name, file_info.type, file_info.size) == ("main.py", "file", 14)
    assert file_info.modified_at
    kinds = {f.name: f.type for f in w.list_files(ws.id, "src")}
    assert kinds == {"main.py": "file", "components": "directory"}
    w.copy_file(ws.id, "src", "copy-of-src")
    assert w.read_file(ws.id, "copy-of-src/main.py") == 'print("hello")'
    with pytest.raises(WorkspaceError) as not_empty:
        w.delete_file(ws.id, "copy-of-src")
    assert not_empty.value.code == 5005
    w.delete_file(ws.id, "copy-of-src", recursive=True)
    assert not w.exists(ws.id, "copy-of-src")


def test_text_and_odd_names(client: WorkspaceClient, ws: Workspace) -> None:
    name = "dir with space/ünï cödé & x=1?#.txt"
    client.workspace.write_file(ws.id, name, "héllo ✓\n")
    assert client.workspace.read_file(ws.id, name) == "héllo ✓\n"
    assert client.workspace.get_file_info(ws.id, name).size == len("héllo ✓\n".encode())
    with pytest.raises(FileNotFoundError):
        client.workspace.write_file(ws.id, "missing-dir/a.txt", "x", parents=False)


def test_all_byte_values(client: WorkspaceClient, ws: Workspace, tmp_path: Path) -> None:
    client.workspace.write_file(ws.id, "bytes.bin", ALL_BYTES)
    assert client.workspace.read_file_bytes(ws.id, "bytes.bin") == ALL_BYTES
    target = tmp_path / "bytes.bin"
    assert client.workspace.download_file(ws.id, "bytes.bin", target) == len(ALL_BYTES)
    assert target.read_bytes() == ALL_BYTES
    client.workspace.upload_file(ws.id, "again.bin", target)
    assert client.workspace.read_file_bytes(ws.id, "again.bin") == ALL_BYTES


def test_streamed_20mb(client: WorkspaceClient, ws: Workspace, tmp_path: Path) -> None:
    source, digest = make_big_file(tmp_path)
    assert client.workspace.upload_file(ws.id, "big/big.bin", source).size == BIG_SIZE
    target = tmp_path / "down.bin"
    assert client.workspace.download_file(ws.id, "big/big.bin", target) == BIG_SIZE
    assert sha256_of(target) == digest

    def chunks() -> Iterator[bytes]:
        with source.open("rb") as file:
            while chunk := file.read(300_000):
                yield chunk

    client.workspace.write_file(ws.id, "big/gen.bin", chunks())
    data = client.workspace.read_file_bytes(ws.id, "big/gen.bin")
    assert hashlib.sha256(data).hexdigest() == digest


def test_errors(client: WorkspaceClient, ws: Workspace) -> None:
    with pytest.raises(FileNotFoundError) as missing:
        client.workspace.read_file(ws.id, "missing.txt")
    assert (missing.value.code, missing.value.status) == (5001, 404)
    assert missing.value.message
    with pytest.raises(PermissionDeniedError) as escape:
        client.workspace.read_file(ws.id, "../../etc/passwd")
    assert escape.value.code in (5002, 5006)
    with pytest.raises(PermissionDeniedError):
        client.workspace.write_file(ws.id, "../escape.txt", "x")
    with pytest.raises(WorkspaceNotFoundError):
        client.workspace.read_file("no-such-workspace-xyz", "a.txt")
    with pytest.raises(WorkspaceNotFoundError):
        client.workspace.exists("no-such-workspace-xyz", "a.txt")
    with pytest.raises(FileNotFoundError):
        client.workspace.get_file_info(ws.id, "missing.txt")


def test_client_side_cap_on_download(ws: Workspace, tmp_path: Path) -> None:
    with WorkspaceClient(**client_options(), max_file_transfer_bytes=1000) as small:
        small.workspace.write_file(ws.id, "k.bin", bytes(1000))
        with pytest.raises(WorkspaceError) as too_big:
            small.workspace.write_file(ws.id, "k2.bin", bytes(1001))
        assert too_big.value.code == 1004
    with WorkspaceClient(**client_options()) as client:
        client.workspace.write_file(ws.id, "k.bin", bytes(5000))
    target = tmp_path / "k.bin"
    with WorkspaceClient(**client_options(), max_file_transfer_bytes=1000) as small:
        with pytest.raises(WorkspaceError) as too_big:
            small.workspace.download_file(ws.id, "k.bin", target)
        assert too_big.value.code == 1004 and too_big.value.status is None
    assert not target.exists()
