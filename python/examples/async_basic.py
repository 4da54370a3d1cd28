"""Basic usage with the asyncio client: the same steps as ``basic.py``, awaited.

Run it against a live server: ``python python/examples/async_basic.py``. The server is
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
)

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys
TEMPLATE = "workspace-test:latest"


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


async def remove_all(client: AsyncWorkspaceClient, workspace_id: str) -> None:
    """Delete the workspace's sandboxes, then the workspace (which refuses while they exist)."""
    for sandbox in await client.sandbox.list(workspace_id=workspace_id):
        await client.sandbox.delete(sandbox.id, force=True)
    await client.workspace.delete(workspace_id)


async def main() -> None:
    async with AsyncWorkspaceClient(API_URL, api_key=API_KEY) as client:
        # Create a workspace (persistent storage)
        workspace = await client.workspace.create(CreateWorkspaceParams(name="my-workspace"))
        print(f"Created workspace: {workspace.id}")
        done = False
        try:
            # Create a sandbox bound to the workspace; returns once it is running
            sandbox = await client.sandbox.create(
                CreateSandboxParams(workspace_id=workspace.id, template=TEMPLATE)
            )
            print(f"Created sandbox: {sandbox.id} ({sandbox.state})")
            check(sandbox.state == "running", f"sandbox state {sandbox.state}")

            # Run a command
            result = await client.process.run(
                sandbox.id, "echo", RunCommandOptions(args=["Hello", "World"])
            )
            print(f"Output: {result.stdout}", end="")
            check(result.exit_code == 0, f"echo exited {result.exit_code}")
            check(result.stdout == "Hello World\n", f"echo printed {result.stdout!r}")

            # Write a file to the workspace, and read it back
            await client.workspace.write_file(workspace.id, "hello.txt", "Hello, World!")
            content = await client.workspace.read_file(workspace.id, "hello.txt")
            print(f"File content: {content}")
            check(content == "Hello, World!", f"read back {content!r}")

            # Files the sandbox writes under /workspace are in the workspace
            options = RunCommandOptions(args=["-c", "echo from the sandbox > made.txt"])
            await client.process.run(sandbox.id, "sh", options)
            made = await client.workspace.read_file(workspace.id, "made.txt")
            print(f"made.txt: {made.strip()}")
            check(made == "from the sandbox\n", f"made.txt holds {made!r}")
            info = await client.workspace.get_file_info(workspace.id, "made.txt")
            print(f"made.txt is a {info.type} of {info.size} bytes")
            check((info.type, info.size) == ("file", len(made)), f"file info {info}")

            # Cleanup: the sandbox first, then the workspace
            await client.sandbox.delete(sandbox.id, force=True)
            print(f"Deleted sandbox: {sandbox.id}")
            await client.workspace.delete(workspace.id)
            print(f"Deleted workspace: {workspace.id}")
            done = True
        finally:
            if not done:  # something failed on the way: still leave nothing behind
                await remove_all(client, workspace.id)
    print("async_basic: ok")


if __name__ == "__main__":
    asyncio.run(main())
