"""An interactive terminal (PTY) in a sandbox: connect, read its output, type, resize, kill.

PTYs are on the asyncio client (``client.pty``). ``connect`` starts a shell on a new
terminal; ``on_data`` receives its output as bytes, in order; ``write`` types; ``resize``
changes the window size the shell sees; ``kill`` ends the shell's whole session, after
which the server sends the exit code and closes.

Run it against a live server: ``python python/examples/pty_session.py``. The server is
``WORKSPACE_API_URL`` (default ``http://127.0.0.1:8080``), with the API key in
``WORKSPACE_API_KEY`` if the server wants one; the sandbox template is
``workspace-test:latest``. It prints what it does (and the terminal's output), exits
non-zero if anything is not as expected, and deletes what it made either way.
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
    PtyOptions,
    PtySession,
)

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys
TEMPLATE = "workspace-test:latest"
WAIT = 30  # seconds to wait for an answer from the terminal before giving up


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


class Screen:
    """Everything the terminal printed, and a way to wait until some text shows up."""

    def __init__(self) -> None:
        self.output = bytearray()
        self.changed = asyncio.Event()

    def on_data(self, data: bytes) -> None:
        print(data.decode(errors="replace"), end="", flush=True)
        self.output.extend(data)
        self.changed.set()

    async def wait_for(self, text: str) -> None:
        """Until ``text`` is in the output (from the start); fails after ``WAIT`` seconds."""
        try:
            await asyncio.wait_for(self._until(text), WAIT)
        except asyncio.TimeoutError:
            sys.exit(f"FAILED: the terminal never printed {text!r}")

    async def _until(self, text: str) -> None:
        while text.encode() not in self.output:
            self.changed.clear()
            await self.changed.wait()


async def use_terminal(client: AsyncWorkspaceClient, sandbox_id: str) -> None:
    screen = Screen()
    closed = asyncio.Event()
    exit_codes: list[int | None] = []

    # Create and connect to a PTY
    pty: PtySession = await client.pty.connect(
        sandbox_id,
        PtyOptions(cols=120, rows=40, shell="/bin/bash", env={"TERM": "xterm-256color"}),
    )
    print(f"Connected to PTY {pty.pty_id}")

    # Handle output, the shell's exit, and the close of the session
    pty.on_data(screen.on_data)
    pty.on_exit(exit_codes.append)

    def on_close() -> None:
        print("\nPTY closed")
        closed.set()

    pty.on_close(on_close)

    # Write to the PTY: the shell sees the terminal type and size it was given
    await pty.write("echo term=$TERM; stty size\n")
    await screen.wait_for("term=xterm-256color")
    await screen.wait_for("40 120")

    # Resize the PTY, and ask again
    await pty.resize(100, 50)
    await pty.write("stty size\n")
    await screen.wait_for("50 100")

    # The shell keeps its state between writes, like any interactive shell
    await pty.write("cd /tmp && GREETING=hello\n")
    await pty.write('echo "$GREETING from $(pwd)"\n')
    await screen.wait_for("hello from /tmp")

    # Kill the PTY: the server reports the exit code, then closes the session
    await pty.kill()
    code = await asyncio.wait_for(pty.wait(), WAIT)
    await asyncio.wait_for(closed.wait(), WAIT)
    print(f"Shell exit code: {code}")
    check(code is not None and code != 0, f"exit code after kill: {code}")
    check(exit_codes == [code], f"on_exit saw {exit_codes}")
    check(pty.closed, "the session is closed")


async def main() -> None:
    async with AsyncWorkspaceClient(API_URL, api_key=API_KEY) as client:
        workspace = await client.workspace.create(CreateWorkspaceParams(name="pty-session"))
        print(f"Created workspace: {workspace.id}")
        try:
            sandbox = await client.sandbox.create(
                CreateSandboxParams(workspace_id=workspace.id, template=TEMPLATE)
            )
            print(f"Created sandbox: {sandbox.id}")
            await use_terminal(client, sandbox.id)
        finally:
            # Sandboxes first: a workspace with sandboxes cannot be deleted (code 7002)
            for leftover in await client.sandbox.list(workspace_id=workspace.id):
                await client.sandbox.delete(leftover.id, force=True)
                print(f"Deleted sandbox: {leftover.id}")
            await client.workspace.delete(workspace.id)
            print(f"Deleted workspace: {workspace.id}")
    print("pty_session: ok")


if __name__ == "__main__":
    asyncio.run(main())
