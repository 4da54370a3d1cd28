"""Live: sandbox and process methods of the asyncio client against a real server.

Each test is a plain function running one coroutine with ``asyncio.run``, so no pytest
plugin is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from live import async_sandbox, skip_unless_live

from workspace_sdk import (
    AsyncWorkspaceClient,
    CommandExitError,
    CreateSandboxParams,
    ProcessEvent,
    ProcessTimeoutError,
    RunCommandOptions,
    Sandbox,
    SandboxNotFoundError,
    TemplateNotFoundError,
    WorkspaceError,
)

pytestmark = skip_unless_live
Scenario = Callable[[AsyncWorkspaceClient, Sandbox], Awaitable[None]]


def run(scenario: Scenario) -> None:
    """Run ``scenario(client, sandbox)`` in a fresh sandbox on a fresh workspace."""

    async def main() -> None:
        async with async_sandbox("live-async-sandbox") as (client, sandbox):
            await scenario(client, sandbox)

    asyncio.run(main())


def test_sandbox_methods() -> None:
    async def scenario(client: AsyncWorkspaceClient, sb: Sandbox) -> None:
        assert sb.state == "running"
        assert (await client.sandbox.wait_for_state(sb.id, "running")).id == sb.id
        assert (await client.sandbox.get(sb.id)).workspace_id == sb.workspace_id
        listed = await client.sandbox.list(state="running", workspace_id=sb.workspace_id)
        assert [s.id for s in listed] == [sb.id]
        assert await client.sandbox.exists(sb.id)
        missing = CreateSandboxParams(workspace_id=sb.workspace_id, template="no-such:nope")
        with pytest.raises(TemplateNotFoundError):
            await client.sandbox.create(missing)
        with pytest.raises(WorkspaceError) as info:
            await client.workspace.delete(sb.workspace_id)
        assert info.value.code == 7002
        await client.sandbox.delete(sb.id)
        assert not await client.sandbox.exists(sb.id)
        with pytest.raises(SandboxNotFoundError):
            await client.sandbox.get(sb.id)

    run(scenario)


def test_run_exec_shell_and_timeout() -> None:
    async def scenario(client: AsyncWorkspaceClient, sb: Sandbox) -> None:
        process = client.process
        results = await asyncio.gather(
            *(process.run(sb.id, "echo", RunCommandOptions(args=[f"Worker {i}"])) for i in range(5))
        )
        assert [r.stdout for r in results] == [f"Worker {i}\n" for i in range(5)]
        env = RunCommandOptions(args=["-c", "echo $A; pwd; exit 4"], env={"A": "b"}, cwd="/tmp")
        result = await process.run(sb.id, "sh", env)
        assert (result.exit_code, result.stdout) == (4, "b\n/tmp\n")
        assert (await process.exec(sb.id, "echo", "hi")) == "hi\n"
        with pytest.raises(CommandExitError) as failed:
            await process.exec(sb.id, "false")
        assert failed.value.exit_code == 1
        shell = await process.shell(sb.id, 'echo "$X" >&2', env={"X": "y"})
        assert shell.stderr == "y\n"
        with pytest.raises(ProcessTimeoutError) as info:
            await process.shell(sb.id, "echo partial; sleep 30", timeout=1)
        assert info.value.stdout == "partial\n" and info.value.pid

    run(scenario)


async def next_of(stream: AsyncIterator[ProcessEvent], kind: str) -> ProcessEvent:
    async for event in stream:
        if event.type == kind:
            return event
    raise AssertionError(f"no {kind} event")


def test_streams_stdin_kill_list_attach() -> None:
    async def scenario(client: AsyncWorkspaceClient, sb: Sandbox) -> None:
        process = client.process
        script = "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.1; done; exit 7"
        out, err, code = [], [], None
        async for event in process.run_stream(sb.id, "sh", RunCommandOptions(args=["-c", script])):
            if event.type == "stdout":
                out.append(event.data)
            elif event.type == "stderr":
                err.append(event.data)
            elif event.type == "exit":
                code = event.code
        assert ("".join(out).split(), "".join(err).split(), code) == (
            ["out1", "out2", "out3"],
            ["err1", "err2", "err3"],
            7,
        )

        cat = process.run_stream(sb.id, "cat", RunCommandOptions(stdin=True))
        pid = (await next_of(cat, "start")).pid
        assert pid is not None
        await process.send_stdin(sb.id, pid, "ping\n")
        assert (await next_of(cat, "stdout")).data == "ping\n"
        await process.send_stdin(sb.id, pid, "", eof=True)
        assert (await next_of(cat, "exit")).code == 0

        sleeper = process.run_stream(
            sb.id, "sh", RunCommandOptions(args=["-c", "echo up; sleep 60"])
        )
        pid = (await next_of(sleeper, "start")).pid
        assert pid is not None
        assert (await next_of(sleeper, "stdout")).data == "up\n"
        await sleeper.aclose()  # type: ignore[attr-defined]
        assert any(p.pid == pid and p.state == "running" for p in await process.list(sb.id))
        follow = process.attach(sb.id, pid)
        assert (await next_of(follow, "stdout")).data == "up\n"
        await process.kill(sb.id, pid)
        assert (await next_of(follow, "exit")).code != 0
        assert any(p.pid == pid and p.state == "exited" for p in await process.list(sb.id))

    run(scenario)
