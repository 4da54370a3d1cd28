"""Live: ``client.pty`` against a real server whose sandbox agent serves PTYs.

Each test runs one coroutine in a fresh sandbox on a fresh workspace, with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from live import async_sandbox, skip_unless_live

from workspace_sdk import (
    AsyncWorkspaceClient,
    PtyNotFoundError,
    PtyOptions,
    PtySession,
    SandboxNotFoundError,
)

pytestmark = skip_unless_live
Scenario = Callable[[AsyncWorkspaceClient, str], Awaitable[None]]


def run(scenario: Scenario) -> None:
    async def main() -> None:
        async with async_sandbox("live-pty") as (client, sandbox):
            await asyncio.wait_for(scenario(client, sandbox.id), 60)

    asyncio.run(main())


async def expect(output: bytearray, needle: bytes, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while needle not in output:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{needle!r} never arrived; got {bytes(output)[-500:]!r}")
        await asyncio.sleep(0.05)


async def shell(client: AsyncWorkspaceClient, sandbox_id: str, **options: object) -> PtySession:
    return await client.pty.connect(sandbox_id, PtyOptions(shell="/bin/bash", **options))  # type: ignore[arg-type]


def test_echo_a_command_and_its_environment() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        output = bytearray()
        async with await shell(client, sandbox_id, env={"GREETING": "hi there"}) as pty:
            assert pty.pty_id
            pty.on_data(output.extend)
            await pty.write('echo "[$GREETING] $((6 * 7))"; echo $TERM\n')
            await expect(output, b"[hi there] 42")
            await pty.write(b"tty\n")
            await expect(output, b"/dev/pts/")

    run(scenario)


def test_resize_is_seen_by_stty() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        output = bytearray()
        async with await shell(client, sandbox_id, cols=120, rows=40) as pty:
            pty.on_data(output.extend)
            await pty.write("stty size\n")
            await expect(output, b"40 120")
            await pty.resize(100, 50)
            await pty.write("stty size\n")
            await expect(output, b"50 100")

    run(scenario)


def test_kill_ends_the_session() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        pty = await shell(client, sandbox_id)
        closed, exits = asyncio.Event(), []
        pty.on_close(closed.set)
        pty.on_exit(exits.append)
        await pty.write("sleep 1000\n")
        await pty.kill()
        await asyncio.wait_for(closed.wait(), 10)
        assert pty.closed and pty.close_code == 1000
        assert pty.exit_code == 137 and exits == [137]  # 128 + SIGKILL
        # An exited PTY is kept for a while: reattaching replays its output, then the exit.
        again = await client.pty.reconnect(sandbox_id, pty.pty_id)
        assert await asyncio.wait_for(again.wait(), 10) == 137

    run(scenario)


def test_exit_code_of_the_shell() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        pty = await shell(client, sandbox_id)
        await pty.write("exit 3\n")
        assert await asyncio.wait_for(pty.wait(), 10) == 3

    run(scenario)


def test_reconnect_replays_kept_output() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        first, everything, after = bytearray(), bytearray(), bytearray()
        pty = await shell(client, sandbox_id)
        pty.on_data(first.extend)
        await pty.write("echo first-$((1 + 1))\n")
        await expect(first, b"first-2")
        await asyncio.sleep(0.3)  # let the prompt that follows arrive too
        await pty.close()  # detach: the shell keeps running
        assert pty.exit_code is None

        again = await client.pty.reconnect(sandbox_id, pty.pty_id)
        again.on_data(everything.extend)
        await expect(everything, b"first-2")  # all kept output is replayed
        await again.close()

        resumed = await client.pty.reconnect(sandbox_id, pty.pty_id, after=pty.offset)
        assert resumed.offset == pty.offset
        resumed.on_data(after.extend)
        await resumed.write("echo second-$((2 + 2))\n")
        await expect(after, b"second-4")
        assert b"first-2" not in after  # nothing before the offset comes back
        await resumed.kill()
        await asyncio.wait_for(resumed.wait(), 10)

    run(scenario)


def test_a_second_attach_takes_the_pty_over() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        first = await shell(client, sandbox_id)
        closed = asyncio.Event()
        first.on_close(closed.set)
        output = bytearray()
        async with await client.pty.reconnect(sandbox_id, first.pty_id) as second:
            await asyncio.wait_for(closed.wait(), 10)
            assert first.exit_code is None
            second.on_data(output.extend)
            await second.write("echo still-$((3 * 3))\n")
            await expect(output, b"still-9")

    run(scenario)


def test_unknown_pty_and_sandbox() -> None:
    async def scenario(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
        with pytest.raises(PtyNotFoundError) as caught:
            await client.pty.reconnect(sandbox_id, "no-such-pty")
        assert (caught.value.code, caught.value.status) == (4001, 404)
        with pytest.raises(SandboxNotFoundError):
            await client.pty.connect("sb-does-not-exist")

    run(scenario)
