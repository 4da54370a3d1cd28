"""``client.nfs`` on both clients, with a fake local system: argv run, mount points, errors.

Nothing is mounted: the fake records the argv it is asked to run and answers with a canned
outcome, so every error path is checked without root or a kernel NFS client.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import Recorder, make_client, reply

from workspace_sdk import PermissionDeniedError, WorkspaceError, WorkspaceNotFoundError
from workspace_sdk._local_nfs import CommandOutcome, LocalSystem
from workspace_sdk._mount_table import MountEntry
from workspace_sdk.services.nfs import AsyncNfsService, NfsService

NFS_URL = "nfs://127.0.0.1:12049/workspaces/ws1"
TIME = "2026-01-01T00:00:00.000Z"
WS = {"id": "ws1", "name": None, "metadata": None, "nfs_url": NFS_URL,
      "created_at": TIME, "updated_at": TIME}  # fmt: skip
V4 = "vers=4.1,port=12049,proto=tcp,nosuid,nodev"
OK = CommandOutcome(0, "", "")
SUPERUSER = "mount: /mnt/ws: must be superuser to use mount."


class FakeSystem(LocalSystem):
    def __init__(
        self,
        platform: str = "linux",
        *,
        root: bool = True,
        tools: Sequence[str] = ("mount", "umount", "mount.nfs"),
        table: Sequence[MountEntry] = (),
        outcome: CommandOutcome = OK,
        raises: BaseException | None = None,
    ) -> None:
        super().__init__(platform)
        self.root, self.tools, self.table = root, tools, list(table)
        self.outcome, self.raises = outcome, raises
        self.calls: list[list[str]] = []

    def find_tool(self, name: str) -> str | None:
        return f"/usr/sbin/{name}" if name in self.tools else None

    def run(self, argv: Sequence[str]) -> CommandOutcome:
        self.calls.append(list(argv))
        if self.raises is not None:
            raise self.raises
        return self.outcome

    def is_root(self) -> bool:
        return self.root

    def mount_table(self) -> list[MountEntry]:
        return list(self.table)


def nfs(kind: str, system: LocalSystem, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``client.nfs.<method>`` on a sync or async client whose nfs uses ``system``."""
    handler = kwargs.pop("handler", reply(200, WS))
    options = kwargs.pop("client_options", {})
    if kind == "sync":
        with make_client(kind, handler, **options) as client:
            client.nfs = NfsService(client._http, system)
            return getattr(client.nfs, method)(*args, **kwargs)

    async def main() -> Any:
        async with make_client(kind, handler, **options) as client:
            client.nfs = AsyncNfsService(client._http, system)
            return await getattr(client.nfs, method)(*args, **kwargs)

    return asyncio.run(main())


def test_mount_runs_mount_and_returns_the_absolute_mount_point(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    system, recorder = FakeSystem(), Recorder(reply(200, WS))
    point = nfs(kind, system, "mount", "ws1", "mnt/ws", handler=recorder)
    assert point == str(tmp_path / "mnt" / "ws")
    assert os.path.isdir(point)  # made because it was missing
    assert system.calls == [["mount", "-t", "nfs", "-o", V4, "127.0.0.1:/workspaces/ws1", point]]
    assert recorder.last.url.path == "/v1/workspaces/ws1"


def test_mount_options_and_macos(kind: str, tmp_path: Path) -> None:
    system = FakeSystem("darwin")
    nfs(kind, system, "mount", "ws1", tmp_path, version="3", read_only=True)
    assert system.calls[0][4] == (
        "vers=3,port=12049,mountport=12050,nolocks,proto=tcp,resvport,nosuid,nodev,rdonly"
    )


def test_env_overrides_host_and_port(
    kind: str, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("WM_NFS_HOST", "::1")
    clean_env.setenv("WM_NFS_PORT", "3049")
    system = FakeSystem()
    nfs(kind, system, "mount", "ws1", tmp_path, version="3")
    assert system.calls[0][4].startswith("vers=3,port=3049,mountport=3050,")
    assert system.calls[0][5] == "[::1]:/workspaces/ws1"
    argv = nfs(kind, FakeSystem(), "mount_command", "ws1", tmp_path, client_options={
        "nfs_host": "nfs.example", "nfs_port": 4049})  # fmt: skip
    assert argv[4].startswith("vers=4.1,port=4049,") and argv[5] == "nfs.example:/workspaces/ws1"


def test_mount_command_runs_nothing(kind: str) -> None:
    system = FakeSystem()
    argv = nfs(kind, system, "mount_command", "ws1", "/mnt/x y", read_only=True)
    assert argv == ["mount", "-t", "nfs", "-o", V4 + ",ro", "127.0.0.1:/workspaces/ws1", "/mnt/x y"]
    assert system.calls == [] and not os.path.exists("/mnt/x y")


def test_nfs_off_on_the_server(kind: str, tmp_path: Path) -> None:
    system = FakeSystem()
    handler = reply(200, {**WS, "nfs_url": None})
    with pytest.raises(WorkspaceError, match="NFS is not enabled on the server") as info:
        nfs(kind, system, "mount", "ws1", tmp_path / "m", handler=handler)
    assert (info.value.code, info.value.details["reason"]) == (9005, "nfs-disabled")
    assert system.calls == [] and not (tmp_path / "m").exists()


def test_missing_workspace_is_the_api_error(kind: str, tmp_path: Path) -> None:
    body = {"error": {"code": 7001, "message": "workspace nope not found"}}
    with pytest.raises(WorkspaceNotFoundError):
        nfs(kind, FakeSystem(), "mount", "nope", tmp_path, handler=reply(404, body))


def test_bad_arguments_fail_before_any_request(kind: str, tmp_path: Path) -> None:
    recorder = Recorder(reply(200, WS))
    with pytest.raises(ValueError, match="NFS version"):
        nfs(kind, FakeSystem(), "mount", "ws1", tmp_path, version="2", handler=recorder)
    with pytest.raises(ValueError, match="mount option"):
        nfs(kind, FakeSystem(), "mount", "ws1", tmp_path, options=["a b"], handler=recorder)
    with pytest.raises(WorkspaceError, match="Linux and macOS"):
        nfs(kind, FakeSystem("win32"), "mount", "ws1", tmp_path, handler=recorder)
    assert recorder.requests == []


def test_linux_without_nfs_client_names_the_package(kind: str, tmp_path: Path) -> None:
    system = FakeSystem(tools=("mount",))
    with pytest.raises(WorkspaceError, match="install nfs-common") as info:
        nfs(kind, system, "mount", "ws1", tmp_path / "m")
    assert info.value.details["reason"] == "tools-missing"
    assert system.calls == [] and not (tmp_path / "m").exists()


def test_missing_mount_program(kind: str, tmp_path: Path) -> None:
    system = FakeSystem(raises=FileNotFoundError(2, "No such file", "mount"))
    with pytest.raises(WorkspaceError, match="mount was not found: install util-linux") as info:
        nfs(kind, system, "mount", "ws1", tmp_path)
    assert info.value.details["reason"] == "tools-missing"


def test_not_root_suggests_sudo_and_removes_the_mount_point_it_made(
    kind: str, tmp_path: Path
) -> None:
    system = FakeSystem(root=False, outcome=CommandOutcome(32, "", SUPERUSER + "\n"))
    with pytest.raises(PermissionDeniedError, match=r"needs root.*sudo") as info:
        nfs(kind, system, "mount", "ws1", tmp_path / "new")
    details = info.value.details
    assert (info.value.code, details["reason"], details["exit_code"]) == (9005, "permission", 32)
    assert details["stderr"] == SUPERUSER
    assert not (tmp_path / "new").exists()


def test_mount_failure_carries_stderr_and_keeps_an_existing_dir(kind: str, tmp_path: Path) -> None:
    stderr = "mount.nfs: Connection refused\n"
    system = FakeSystem(outcome=CommandOutcome(32, "", stderr))
    with pytest.raises(
        WorkspaceError, match=r"exit code 32: mount\.nfs: Connection refused"
    ) as info:
        nfs(kind, system, "mount", "ws1", tmp_path)
    assert not isinstance(info.value, PermissionDeniedError)
    assert info.value.details["reason"] == "mount-failed"
    assert info.value.details["command"][0] == "mount" and tmp_path.is_dir()


def test_kernel_without_nfs(kind: str, tmp_path: Path) -> None:
    stderr = "mount: /mnt/ws: unknown filesystem type 'nfs'."
    system = FakeSystem(outcome=CommandOutcome(32, "", stderr))
    with pytest.raises(WorkspaceError, match="kernel has no NFS client"):
        nfs(kind, system, "mount", "ws1", tmp_path)


def test_mount_point_problems(kind: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="not a directory"):
        nfs(kind, FakeSystem(), "mount", "ws1", tmp_path / "file")
    taken = FakeSystem(table=[MountEntry(str(tmp_path), "nfs4", "h:/workspaces/ws0")])
    with pytest.raises(WorkspaceError, match="already an NFS mount point") as info:
        nfs(kind, taken, "mount", "ws1", tmp_path)
    assert info.value.details["reason"] == "already-mounted" and taken.calls == []


def test_is_mounted_reads_the_table_and_resolves_symlinks(kind: str, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    table = [MountEntry(str(real), "nfs", "h:/workspaces/ws1"), MountEntry("/t", "tmpfs", "t")]
    system = FakeSystem(table=table)
    assert nfs(kind, system, "is_mounted", real) is True
    assert nfs(kind, system, "is_mounted", str(tmp_path / "link")) is True
    assert nfs(kind, system, "is_mounted", str(tmp_path / "link" / ".." / "real")) is True
    assert nfs(kind, system, "is_mounted", "/t") is False  # mounted, but not NFS
    assert nfs(kind, system, "is_mounted", tmp_path) is False


def test_is_mounted_on_this_machine(kind: str, tmp_path: Path) -> None:
    system = LocalSystem()  # the real mount table
    assert nfs(kind, system, "is_mounted", tmp_path) is False
    assert nfs(kind, system, "is_mounted", "/mnt/not-a-mount-point-xyz") is False
    assert nfs(kind, system, "is_mounted", "/") is False  # a mount point, not NFS


def test_unmount(kind: str, tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path)
    system = FakeSystem(table=[MountEntry(str(tmp_path), "nfs4", "h:/workspaces/ws1")])
    assert nfs(kind, system, "unmount", tmp_path / "link") is None
    nfs(kind, system, "unmount", tmp_path, force=True)
    assert system.calls == [["umount", str(tmp_path)], ["umount", "-f", str(tmp_path)]]


def test_unmount_errors(kind: str, tmp_path: Path) -> None:
    local_disk = FakeSystem(table=[MountEntry(str(tmp_path), "ext4", "/dev/x")])
    with pytest.raises(WorkspaceError, match="is not an NFS mount point") as info:
        nfs(kind, local_disk, "unmount", tmp_path)
    assert info.value.details["reason"] == "not-mounted"
    table = [MountEntry(str(tmp_path), "nfs", "h:/workspaces/ws1")]
    busy = FakeSystem(table=table, outcome=CommandOutcome(32, "", "umount: /x: target is busy."))
    with pytest.raises(WorkspaceError, match=r"target is busy.*force=True") as info:
        nfs(kind, busy, "unmount", tmp_path)
    assert info.value.details["reason"] == "umount-failed"
    denied = CommandOutcome(32, "", "umount: /x: must be superuser to unmount.")
    with pytest.raises(PermissionDeniedError, match="umount needs root"):
        nfs(kind, FakeSystem(table=table, root=False, outcome=denied), "unmount", tmp_path)
