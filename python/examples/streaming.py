"""Streaming command output: stdout and stderr as they happen, then the exit code.

``client.process.run_stream`` yields ``ProcessEvent`` s: ``start`` (``pid``), ``stdout`` /
``stderr`` (``data``), then ``exit`` (``code``) or ``error`` (``message``). On the asyncio
client it is an async iterator (``async for``); on the blocking client it works with both
``for`` and ``async for``. Leaving the loop early closes the stream but not the process:
this example follows ``tail -f`` and then stops it with ``client.process.kill``.

Run it against a live server: ``python python/examples/streaming.py``. The server is
``WORKSPACE_API_URL`` (default ``http://127.0.0.1:8080``), with the API key in
``WORKSPACE_API_KEY`` if the server wants one; the sandbox template is
``workspace-test:latest``. It prints what it does, exits non-zero if anything is not as
expected, and deletes what it made either way.
"""

from __future__ import annotations

import os
import sys

# This folder holds concurrent.py, which would shadow the standard library's ``concurrent``
# package (asyncio imports ``concurrent.futures``) for any script run from here, since a
# script's folder comes first on sys.path. So the folder leaves sys.path before asyncio loads.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

import asyncio

from workspace_sdk import (
    AsyncWorkspaceClient,
    CreateSandboxParams,
    CreateWorkspaceParams,
    RunCommandOptions,
    WorkspaceClient,
)

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys
TEMPLATE = "workspace-test:latest"
SCRIPT = "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done; exit 7"


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


async def stream_script(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
    """The README's event loop over a script that prints to both streams and exits 7."""
    out, err, code = [], [], None
    async for event in client.process.run_stream(
        sandbox_id, "sh", RunCommandOptions(args=["-c", SCRIPT])
    ):
        if event.type == "start":
            print(f"Started pid {event.pid}")
        elif event.type == "stdout":
            out.append(event.data)
            print(event.data, end="")
        elif event.type == "stderr":
            err.append(event.data)
            print(event.data, end="", file=sys.stderr)
        elif event.type == "exit":
            code = event.code
            print(f"Exited with code: {event.code}")
        elif event.type == "error":
            sys.exit(f"FAILED: the stream ended with an error: {event.message}")
    check("".join(out) == "out1\nout2\nout3\n", f"stdout {out}")
    check("".join(err) == "err1\nerr2\nerr3\n", f"stderr {err}")
    check(code == 7, f"exit code {code}")


async def follow_and_kill(client: AsyncWorkspaceClient, workspace_id: str, sandbox_id: str) -> None:
    """``tail -f`` a log in the workspace until both its lines are seen, then SIGTERM it."""
    await client.workspace.write_file(workspace_id, "app.log", "booting\nready\n")
    seen, pid, code = "", None, None
    async for event in client.process.run_stream(
        sandbox_id, "tail", RunCommandOptions(args=["-n", "+1", "-f", "/workspace/app.log"])
    ):
        if event.type == "start":
            pid = event.pid
        elif event.type == "stdout":
            seen += event.data
            for line in event.data.splitlines():
                print(f"tail: {line}")
            if "ready\n" in seen and pid is not None:
                # tail -f never ends by itself: stop it; its exit event ends the loop
                print(f"Killing pid {pid} with SIGTERM")
                await client.process.kill(sandbox_id, pid, signal=15)
        elif event.type == "exit":
            code = event.code
            print(f"tail exited with code: {code}")
    check(seen == "booting\nready\n", f"tail printed {seen!r}")
    check(code is not None and code != 0, f"tail's exit code after SIGTERM: {code}")


async def blocking_client_streams(sandbox_id: str) -> None:
    """The blocking client's ``run_stream``: a plain iterator, and ``async for`` as well."""
    with WorkspaceClient(API_URL, api_key=API_KEY) as client:
        options = RunCommandOptions(args=["-c", "echo one; echo two"])
        lines = [e.data for e in client.process.run_stream(sandbox_id, "sh", options)]
        print(f"for: {''.join(lines).split()}")
        check("".join(lines) == "one\ntwo\n", f"for read {lines}")
        # async for runs each blocking read in a worker thread: the event loop stays free
        lines = []
        async for event in client.process.run_stream(sandbox_id, "sh", options):
            if event.type == "stdout":
                lines.append(event.data)
        print(f"async for: {''.join(lines).split()}")
        check("".join(lines) == "one\ntwo\n", f"async for read {lines}")


async def main() -> None:
    async with AsyncWorkspaceClient(API_URL, api_key=API_KEY) as client:
        workspace = await client.workspace.create(CreateWorkspaceParams(name="streaming"))
        print(f"Created workspace: {workspace.id}")
        try:
            sandbox = await client.sandbox.create(
                CreateSandboxParams(workspace_id=workspace.id, template=TEMPLATE)
            )
            print(f"Created sandbox: {sandbox.id}")
            await stream_script(client, sandbox.id)
            await follow_and_kill(client, workspace.id, sandbox.id)
            await blocking_client_streams(sandbox.id)
        finally:
            # Sandboxes first: a workspace with sandboxes cannot be deleted (code 7002)
            for leftover in await client.sandbox.list(workspace_id=workspace.id):
                await client.sandbox.delete(leftover.id, force=True)
                print(f"Deleted sandbox: {leftover.id}")
            await client.workspace.delete(workspace.id)
            print(f"Deleted workspace: {workspace.id}")
    print("streaming: ok")


if __name__ == "__main__":
    asyncio.run(main())
