"""Live: stop/start and pause/resume of a sandbox, and auto-resume, against a real server.

Needs Docker and the template ``workspace-test:latest`` on the server's host, and a server
with the lifecycle routes (``POST /v1/sandboxes/{id}/stop`` ...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from live import TEMPLATE, async_sandbox, skip_unless_live

from workspace_sdk import (
    CreateSandboxParams,
    RunCommandOptions,
    Sandbox,
    SandboxNotFoundError,
    Workspace,
    WorkspaceClient,
    WorkspaceError,
)

pytestmark = skip_unless_live


def create(client: WorkspaceClient, ws: Workspace, **fields: Any) -> Sandbox:
    return client.sandbox.create(
        CreateSandboxParams(workspace_id=ws.id, template=TEMPLATE, **fields)
    )


def start_sleeper(client: WorkspaceClient, sandbox_id: str) -> int:
    """Start ``sleep 1000`` and leave it running (the stream is closed, the process is not)."""
    options = RunCommandOptions(args=["1000"], timeout=900)
    with client.process.run_stream(sandbox_id, "sleep", options) as events:
        for event in events:
            assert event.type == "start", event
            assert event.pid is not None
            return event.pid
    raise AssertionError("no start event")


def running_pids(client: WorkspaceClient, sandbox_id: str) -> set[int]:
    return {p.pid for p in client.process.list(sandbox_id) if p.state == "running"}


def not_running(action: Callable[[], object]) -> int:
    """The API code of a call refused because the sandbox does not run."""
    with pytest.raises(WorkspaceError) as info:
        action()
    assert info.value.status == 409
    return info.value.code


def test_stop_then_start_keeps_the_root_filesystem_and_workspace(
    client: WorkspaceClient, ws: Workspace
) -> None:
    sb = create(client, ws, env={"KEPT": "yes"}, auto_resume=False)
    client.process.shell(sb.id, "echo root-fs > /root/marker && echo ws > /workspace/w.txt")
    start_sleeper(client, sb.id)

    stopped = client.sandbox.stop(sb.id)
    assert (stopped.id, stopped.state, stopped.env) == (sb.id, "stopped", {"KEPT": "yes"})
    assert client.sandbox.get(sb.id).state == "stopped"
    assert [s.id for s in client.sandbox.list(state="stopped", workspace_id=ws.id)] == [sb.id]
    assert client.sandbox.stop(sb.id).state == "stopped"  # idempotent
    # Files of the workspace stay reachable with the sandbox stopped.
    assert client.workspace.read_file(ws.id, "w.txt") == "ws\n"
    assert stopped.auto_resume is False
    assert not_running(lambda: client.process.run(sb.id, "true")) == 2002
    assert not_running(lambda: client.sandbox.pause(sb.id)) == 2002

    started = client.sandbox.start(sb.id)
    assert (started.id, started.state) == (sb.id, "running")
    assert client.sandbox.start(sb.id).state == "running"  # idempotent
    assert client.process.exec(sb.id, "cat", "/root/marker") == "root-fs\n"
    assert client.process.exec(sb.id, "cat", "/workspace/w.txt") == "ws\n"
    assert client.process.shell(sb.id, "echo $KEPT").stdout == "yes\n"
    assert running_pids(client, sb.id) == set()  # processes of before ended with the stop


def test_pause_then_resume_keeps_processes(client: WorkspaceClient, ws: Workspace) -> None:
    sb = create(client, ws, auto_resume=False)
    pid = start_sleeper(client, sb.id)

    paused = client.sandbox.pause(sb.id)
    assert (paused.id, paused.state) == (sb.id, "paused")
    assert client.sandbox.pause(sb.id).state == "paused"  # idempotent
    assert client.sandbox.wait_for_state(sb.id, "paused", timeout=5).state == "paused"
    assert not_running(lambda: client.process.run(sb.id, "true")) == 2002

    resumed = client.sandbox.resume(sb.id)
    assert (resumed.id, resumed.state) == (sb.id, "running")
    assert client.sandbox.resume(sb.id).state == "running"  # idempotent
    assert pid in running_pids(client, sb.id)
    assert client.process.exec(sb.id, "echo", "awake") == "awake\n"

    # Resume also starts a stopped sandbox.
    assert client.sandbox.stop(sb.id).state == "stopped"
    assert client.sandbox.resume(sb.id).state == "running"
    assert client.process.exec(sb.id, "echo", "again") == "again\n"


def test_auto_resume_brings_a_paused_or_stopped_sandbox_back(
    client: WorkspaceClient, ws: Workspace
) -> None:
    sb = create(client, ws, on_idle="pause", on_timeout="stop")
    assert (sb.on_idle, sb.on_timeout, sb.auto_resume) == ("pause", "stop", True)
    pid = start_sleeper(client, sb.id)
    client.sandbox.pause(sb.id)
    assert client.process.exec(sb.id, "echo", "resumed") == "resumed\n"
    assert client.sandbox.get(sb.id).state == "running"
    assert pid in running_pids(client, sb.id)
    client.sandbox.stop(sb.id)
    assert client.process.exec(sb.id, "echo", "started") == "started\n"
    assert client.sandbox.get(sb.id).state == "running"

    off = create(client, ws, on_idle="stop", auto_resume=False)
    assert (off.on_idle, off.auto_resume) == ("stop", False)
    client.sandbox.stop(off.id)
    assert not_running(lambda: client.process.run(off.id, "true")) == 2002


def test_lifecycle_on_a_missing_sandbox(client: WorkspaceClient) -> None:
    for action in (client.sandbox.stop, client.sandbox.start, client.sandbox.pause):
        with pytest.raises(SandboxNotFoundError):
            action("no-such-sandbox")
    with pytest.raises(SandboxNotFoundError):
        client.sandbox.resume("no-such-sandbox")


def test_async_client_stops_starts_pauses_and_resumes() -> None:
    async def main() -> None:
        async with async_sandbox("live-lifecycle-async") as (client, sb):
            assert (await client.sandbox.pause(sb.id)).state == "paused"
            assert (await client.sandbox.resume(sb.id)).state == "running"
            assert (await client.sandbox.stop(sb.id)).state == "stopped"
            assert (await client.sandbox.start(sb.id)).state == "running"
            assert await client.process.exec(sb.id, "echo", "ok") == "ok\n"

    asyncio.run(main())
