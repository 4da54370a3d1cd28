"""Live: every workspace and file method of the asyncio client against a real server.

Each test is a plain function running one coroutine with ``asyncio.run``, so no pytest
plugin is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from live import ALL_BYTES, BIG_SIZE, client_options, make_big_file, sha256_of, skip_unless_live

from workspace_sdk import (
    AsyncWorkspaceClient,
    CreateWorkspaceParams,
    FileNotFoundError,
    PermissionDeniedError,
    Workspace,
    WorkspaceError,
    WorkspaceNotFoundError,
)

pytestmark = skip_unless_live
Scenario = Callable[[AsyncWorkspaceClient, Workspace], Awaitable[None]]


def run(scenario: Scenario) -> None:
    """Run ``scenario(client, workspace)`` with a fresh workspace, deleted afterwards."""

    async def main() -> None:
        async with AsyncWorkspaceClient(**client_options()) as client:
            workspace = await client.workspace.create(CreateWorkspaceParams(name="live-async"))
            try:
                await scenario(client, workspace)
            finally:
                with contextlib.suppress(WorkspaceNotFoundError):
                    await client.workspace.delete(workspace.id)

    asyncio.run(main())


def test_workspace_lifecycle() -> None:
    async def scenario(client: AsyncWorkspaceClient, ws: Workspace) -> None:
        made = await client.workspace.create(CreateWorkspaceParams(metadata={"k": "v"}))
        assert made.metadata == {"k": "v"}
        assert (await client.workspace.get(made.id)) == made
        assert made.id in [w.id for w in await client.workspace.list()]
        await client.workspace.delete(made.id)
        with pytest.raises(WorkspaceNotFoundError):
            await client.workspace.get(made.id)

    run(scenario)


def test_file_round_trip() -> None:
    async def scenario(client: AsyncWorkspaceClient, ws: Workspace) -> None:
        w = client.workspace
        await w.write_file(ws.id, "src/main.py", 'print("hello")')
        assert await w.read_file(ws.id, "src/main.py") == 'print("hello")'
        assert [f.name for f in await w.list_files(ws.id, "src")] == ["main.py"]
        await w.mkdir(ws.id, "src/components")
        await w.copy_file(ws.id, "src/main.py", "src/backup.py")
        await w.move_file(ws.id, "src/backup.py", "src/old.py")
        assert not await w.exists(ws.id, "src/backup.py")
        await w.delete_file(ws.id, "src/old.py")
        info = await w.get_file_info(ws.id, "src/main.py")
        assert (info.name, info.type, info.size) == ("main.py", "file", 14)
        assert await w.exists(ws.id, "src/main.py")
        kinds = {f.name: f.type for f in await w.list_files(ws.id, "src")}
        assert kinds == {"main.py": "file", "components": "directory"}
        await w.delete_file(ws.id, "src", recursive=True)
        assert await w.list_files(ws.id) == []

    run(scenario)


def test_concurrent_writes_share_one_client() -> None:
    async def scenario(client: AsyncWorkspaceClient, ws: Workspace) -> None:
        names = [f"n/{i}.txt" for i in range(20)]
        await asyncio.gather(*(client.workspace.write_file(ws.id, n, n) for n in names))
        texts = await asyncio.gather(*(client.workspace.read_file(ws.id, n) for n in names))
        assert texts == names

    run(scenario)


def test_all_byte_values(tmp_path: Path) -> None:
    async def scenario(client: AsyncWorkspaceClient, ws: Workspace) -> None:
        await client.workspace.write_file(ws.id, "bytes.bin", ALL_BYTES)
        assert await client.workspace.read_file_bytes(ws.id, "bytes.bin") == ALL_BYTES
        target = tmp_path / "bytes.bin"
        await client.workspace.download_file(ws.id, "bytes.bin", target)
        assert target.read_bytes() == ALL_BYTES

    run(scenario)


def test_streamed_20mb(tmp_path: Path) -> None:
    source, digest = make_big_file(tmp_path)

    async def scenario(client: AsyncWorkspaceClient, ws: Workspace) -> None:
        assert (await client.workspace.upload_file(ws.id, "big.bin", source)).size == BIG_SIZE
        target = tmp_path / "down.bin"
        assert await client.workspace.download_file(ws.id, "big.bin", target) == BIG_SIZE
        assert sha256_of(target) == digest

        async def chunks() -> AsyncIterator[bytes]:
            data = source.read_bytes()
            for start in range(0, len(data), 1 << 20):
                yield data[start : start + (1 << 20)]

        await client.workspace.write_file(ws.id, "gen.bin", chunks())
        data = await client.workspace.read_file_bytes(ws.id, "gen.bin")
        assert hashlib.sha256(data).hexdigest() == digest

    run(scenario)


def test_errors() -> None:
    async def scenario(client: AsyncWorkspaceClient, ws: Workspace) -> None:
        with pytest.raises(FileNotFoundError) as missing:
            await client.workspace.read_file(ws.id, "missing.txt")
        assert missing.value.code == 5001
        with pytest.raises(PermissionDeniedError):
            await client.workspace.read_file(ws.id, "../../etc/passwd")
        with pytest.raises(WorkspaceNotFoundError):
            await client.workspace.list_files("no-such-workspace-xyz")
        with pytest.raises(WorkspaceError) as too_big:
            async with AsyncWorkspaceClient(**client_options(), max_file_transfer_bytes=10) as c:
                await c.workspace.write_file(ws.id, "x", b"x" * 11)
        assert too_big.value.code == 1004

    run(scenario)
