"""Live: ``client.nfs`` against a real server exporting workspaces over NFS.

Nothing is mounted (these machines have no kernel NFS client): the tests check the
workspace's ``nfs_url``, the ``mount`` argv built from it, and the mount-table answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from live import client_options, skip_unless_live

from workspace_sdk import (
    AsyncWorkspaceClient,
    CreateWorkspaceParams,
    WorkspaceClient,
    WorkspaceError,
)

pytestmark = skip_unless_live


def test_nfs_url_and_mount_command(tmp_path: Path) -> None:
    with WorkspaceClient(**client_options()) as client:
        workspace = client.workspace.create(CreateWorkspaceParams(name="live-nfs"))
        try:
            assert workspace.nfs_url, "the server under test must export workspaces over NFS"
            url = urlsplit(workspace.nfs_url)
            assert (url.scheme, url.path) == ("nfs", f"/workspaces/{workspace.id}")
            assert client.workspace.get(workspace.id).nfs_url == workspace.nfs_url
            host = f"[{url.hostname}]" if ":" in (url.hostname or "") else url.hostname
            argv = client.nfs.mount_command(workspace.id, tmp_path / "m", version="3")
            assert argv[:4] == ["mount", "-t", "nfs", "-o"]
            assert argv[4].startswith(f"vers=3,port={url.port},mountport={(url.port or 0) + 1},")
            assert argv[5:] == [f"{host}:/workspaces/{workspace.id}", str(tmp_path / "m")]
            assert not (tmp_path / "m").exists()
        finally:
            client.workspace.delete(workspace.id)


def test_mount_table_answers_on_this_machine(tmp_path: Path) -> None:
    with WorkspaceClient(**client_options()) as client:
        assert client.nfs.is_mounted(tmp_path) is False
        assert client.nfs.is_mounted("/mnt/not-a-mount-point-xyz") is False
        with pytest.raises(WorkspaceError, match="is not an NFS mount point") as info:
            client.nfs.unmount(tmp_path)
        assert info.value.details["reason"] == "not-mounted"


def test_async_client(tmp_path: Path) -> None:
    async def main() -> None:
        async with AsyncWorkspaceClient(**client_options()) as client:
            workspace = await client.workspace.create(CreateWorkspaceParams(name="live-nfs"))
            try:
                argv = await client.nfs.mount_command(workspace.id, tmp_path, read_only=True)
                assert argv[4].startswith("vers=4.1,") and argv[4].endswith(",ro")
                assert argv[5].endswith(f":/workspaces/{workspace.id}")
                assert await client.nfs.is_mounted(tmp_path) is False
            finally:
                await client.workspace.delete(workspace.id)

    asyncio.run(main())
