"""Live: every process method of the blocking client, in one sandbox shared by the module."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import pytest
from live import TEMPLATE, client_options, skip_unless_live

from workspace_sdk import (
    CommandExitError,
    CreateSandboxParams,
    CreateWorkspaceParams,
    ProcessEvent,
    ProcessTimeoutError,
    RunCommandOptions,
    Sandbox,
    WorkspaceClient,
    WorkspaceError,
)

pytestmark = skip_unless_live


@pytest.fixture(scope="module")
def client() -> Iterator[WorkspaceClient]:
    with WorkspaceClient(**client_options()) as client:
        yield client


@pytest.fixture(scope="module")
def sb(client: WorkspaceClient) -> Iterator[Sandbox]:
    ws = client.workspace.create(CreateWorkspaceParams(name="live-process"))
    params = CreateSandboxParams(workspace_id=ws.id, template=TEMPLATE, env={"APP_ENV": "dev"})
    try:
        sandbox = client.sandbox.create(params)
        yield sandbox
        client.sandbox.delete(sandbox.id, force=True)
    finally:
        for leftover in client.sandbox.list(workspace_id=ws.id):
            with contextlib.suppress(WorkspaceError):
                client.sandbox.delete(leftover.id, force=True)
        client.workspace.delete(ws.id)


def test_run(client: WorkspaceClient, sb: Sandbox) -> None:
    run = client.process.run
    result = run(sb.id, "echo", RunCommandOptions(args=["Hello", "World"]))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Hello World\n", "")
    assert isinstance(result.pid, int) and result.truncated is False
    failed = run(sb.id, "sh", RunCommandOptions(args=["-c", "echo oops >&2; exit 3"]))
    assert (failed.exit_code, failed.stdout, failed.stderr) == (3, "", "oops\n")
    assert run(sb.id, "no-such-command-here").exit_code == 127
    assert run(sb.id, "pwd").stdout == "/workspace\n"
    assert run(sb.id, "pwd", RunCommandOptions(cwd="/tmp")).stdout == "/tmp\n"
    env = run(sb.id, "sh", RunCommandOptions(args=["-c", "echo $APP_ENV $MINE"], env={"MINE": "x"}))
    assert env.stdout == "dev x\n"
    odd = run(sb.id, "printf", RunCommandOptions(args=["%s|", "a b", "$HOME", "'q'", "é"]))
    assert odd.stdout == "a b|$HOME|'q'|é|"  # arguments pass through no shell
    fed = run(sb.id, "cat", RunCommandOptions(stdin="fed through stdin\n"))
    assert fed.stdout == "fed through stdin\n"


def test_exec_and_shell(client: WorkspaceClient, sb: Sandbox) -> None:
    assert client.process.exec(sb.id, "cat", "/etc/hostname").strip()
    assert client.process.exec(sb.id, "echo", "a", "b c") == "a b c\n"
    with pytest.raises(CommandExitError) as info:
        client.process.exec(sb.id, "cat", "/no/such/file")
    assert info.value.exit_code == 1 and "No such file" in info.value.stderr
    result = client.process.shell(
        sb.id,
        """
        for i in 1 2 3; do
            echo "Item $i"
        done
        echo "$DEBUG" >&2
        """,
        env={"DEBUG": "true"},
    )
    assert result.stdout.split() == ["Item", "1", "Item", "2", "Item", "3"]
    assert result.stderr == "true\n"
    assert client.process.shell(sb.id, "pwd", cwd="/etc").stdout == "/etc\n"
    assert client.process.shell(sb.id, "exit 5").exit_code == 5


def test_timeout_error_carries_output(client: WorkspaceClient, sb: Sandbox) -> None:
    started = time.monotonic()
    with pytest.raises(ProcessTimeoutError) as info:
        client.process.shell(sb.id, "echo before; echo warn >&2; sleep 30", timeout=1)
    assert time.monotonic() - started < 15
    error = info.value
    assert (error.code, error.status) == (3002, 408)
    assert (error.stdout, error.stderr) == ("before\n", "warn\n")
    assert isinstance(error.pid, int)
    with pytest.raises(ProcessTimeoutError):
        client.process.run(sb.id, "sleep", RunCommandOptions(args=["30"], timeout=0.5))


def test_wm_exec_timeout_bounds_a_command_given_no_timeout(
    sb: Sandbox, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("WM_EXEC_TIMEOUT", "1")
    started = time.monotonic()
    with WorkspaceClient(**client_options()) as client, pytest.raises(ProcessTimeoutError) as info:
        client.process.shell(sb.id, "echo started; sleep 30")
    assert time.monotonic() - started < 15  # the server stopped it, not the 30 s sleep
    assert info.value.stdout == "started\n"


def test_run_stream(client: WorkspaceClient, sb: Sandbox) -> None:
    script = "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.1; done; exit 7"
    events = list(client.process.run_stream(sb.id, "sh", RunCommandOptions(args=["-c", script])))
    assert events[0].type == "start" and isinstance(events[0].pid, int)
    out = "".join(e.data for e in events if e.type == "stdout")
    err = "".join(e.data for e in events if e.type == "stderr")
    assert (out, err) == ("out1\nout2\nout3\n", "err1\nerr2\nerr3\n")
    assert events[-1].type == "exit" and events[-1].code == 7 and not events[-1].timed_out
    assert all(e.id is not None for e in events)
    timed = list(client.process.run_stream(sb.id, "sleep", RunCommandOptions(["9"], timeout=0.5)))
    assert timed[-1].type == "exit" and timed[-1].timed_out


def test_run_stream_with_async_for(client: WorkspaceClient, sb: Sandbox) -> None:
    script = "for i in 1 2 3; do echo out$i; sleep 0.1; done; exit 3"

    async def main() -> list[ProcessEvent]:
        options = RunCommandOptions(args=["-c", script])
        return [event async for event in client.process.run_stream(sb.id, "sh", options)]

    events = asyncio.run(main())
    assert "".join(e.data for e in events if e.type == "stdout") == "out1\nout2\nout3\n"
    assert events[-1].type == "exit" and events[-1].code == 3


def next_of(stream: Iterator[ProcessEvent], kind: str) -> ProcessEvent:
    return next(e for e in stream if e.type == kind)


def test_stdin_kill_list_attach(client: WorkspaceClient, sb: Sandbox) -> None:
    process = client.process
    # an interactive cat: write, read it back, close stdin, it exits 0
    cat = process.run_stream(sb.id, "cat", RunCommandOptions(stdin=True))
    pid = next_of(cat, "start").pid
    assert pid is not None
    process.send_stdin(sb.id, pid, "first line\n")
    assert next_of(cat, "stdout").data == "first line\n"
    process.send_stdin(sb.id, pid, b"\xc3\xa9 bytes\n", eof=True)
    rest = list(cat)
    assert "".join(e.data for e in rest if e.type == "stdout") == "é bytes\n"
    assert rest[-1].type == "exit" and rest[-1].code == 0

    # leave a stream early: the process keeps running, attach finds it again
    script = "echo ready; sleep 60; echo never"
    stream = process.run_stream(sb.id, "sh", RunCommandOptions(args=["-c", script]))
    pid = next_of(stream, "start").pid
    ready = next_of(stream, "stdout")
    stream.close()
    assert pid is not None and ready.data == "ready\n"
    listed = {p.pid: p for p in process.list(sb.id)}
    assert listed[pid].state == "running" and listed[pid].cmd == "sh"
    assert listed[pid].args == ["-c", script] and listed[pid].exit_code is None

    follow = process.attach(sb.id, pid)
    assert next_of(follow, "stdout").data == "ready\n"  # replayed
    process.kill(sb.id, pid, signal=9)
    ended = list(follow)
    assert ended[-1].type == "exit" and ended[-1].code != 0
    assert "never" not in "".join(e.data for e in ended)
    info = {p.pid: p for p in process.list(sb.id)}[pid]
    assert info.state == "exited" and info.ended_at

    replay = list(process.attach(sb.id, pid))  # an ended process replays and ends
    assert [e.data for e in replay if e.type == "stdout"] == ["ready\n"]
    after = list(process.attach(sb.id, pid, after=ready.id))
    assert [e.type for e in after if e.type == "stdout"] == []
    assert after[-1].type == "exit"


def test_process_errors(client: WorkspaceClient, sb: Sandbox) -> None:
    with pytest.raises(WorkspaceError) as info:
        client.process.kill(sb.id, 999999)
    assert info.value.code == 3001
    with pytest.raises(WorkspaceError) as info:
        list(client.process.attach(sb.id, 999999))
    assert info.value.code == 3001
