"""Concurrent operations with asyncio: three sandboxes sharing one workspace, run at once.

Run it against a live server: ``python python/examples/concurrent.py``. The server is
``WORKSPACE_API_URL`` (default ``http://127.0.0.1:8080``), with the API key in
``WORKSPACE_API_KEY`` if the server wants one; the sandbox template is
``workspace-test:latest``. It prints what it does, exits non-zero if anything is not as
expected, and deletes what it made either way.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder is first on sys.path, and this file (concurrent.py)
# would then shadow the standard library's ``concurrent`` package, which asyncio imports
# (``concurrent.futures``). So the folder leaves sys.path before asyncio is imported.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

import asyncio

from workspace_sdk import (
    AsyncWorkspaceClient,
    CommandResult,
    CreateSandboxParams,
    CreateWorkspaceParams,
    RunCommandOptions,
    Sandbox,
)

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys
TEMPLATE = "workspace-test:latest"
WORKERS = 3


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


async def work(client: AsyncWorkspaceClient, workspace_id: str) -> None:
    # Create multiple sandboxes sharing the same workspace, all at once
    sandboxes: list[Sandbox] = await asyncio.gather(
        *[
            client.sandbox.create(CreateSandboxParams(workspace_id=workspace_id, template=TEMPLATE))
            for _ in range(WORKERS)
        ]
    )
    print(f"Created {len(sandboxes)} sandboxes sharing workspace {workspace_id}")
    check(len({s.id for s in sandboxes}) == WORKERS, "the sandboxes have distinct ids")

    # Run commands in all sandboxes concurrently
    results: list[CommandResult] = await asyncio.gather(
        *[
            client.process.run(s.id, "echo", RunCommandOptions(args=[f"Worker {i}"]))
            for i, s in enumerate(sandboxes)
        ]
    )
    for i, result in enumerate(results):
        print(f"Worker {i}: {result.stdout.strip()}")
        check(result.stdout == f"Worker {i}\n", f"worker {i} printed {result.stdout!r}")

    # Every sandbox writes its own file into the shared workspace, concurrently...
    await asyncio.gather(
        *[
            client.process.run(
                s.id, "sh", RunCommandOptions(args=["-c", f"hostname > /workspace/worker-{i}"])
            )
            for i, s in enumerate(sandboxes)
        ]
    )
    # ...and each sees the files of all the others
    listings: list[CommandResult] = await asyncio.gather(
        *[client.process.run(s.id, "ls", RunCommandOptions(args=["/workspace"])) for s in sandboxes]
    )
    expected = [f"worker-{i}" for i in range(WORKERS)]
    for i, listing in enumerate(listings):
        check(listing.stdout.split() == expected, f"sandbox {i} sees {listing.stdout.split()}")
    print(f"Each sandbox sees {expected}")


async def main() -> None:
    async with AsyncWorkspaceClient(API_URL, api_key=API_KEY) as client:
        # Create a shared workspace
        workspace = await client.workspace.create(CreateWorkspaceParams(name="shared-workspace"))
        print(f"Created workspace: {workspace.id}")
        try:
            await work(client, workspace.id)
        finally:
            # Cleanup all sandboxes first (also any a failed step left), concurrently...
            sandboxes = await client.sandbox.list(workspace_id=workspace.id)
            await asyncio.gather(*[client.sandbox.delete(s.id, force=True) for s in sandboxes])
            print(f"Deleted {len(sandboxes)} sandboxes")
            # ...then delete the workspace
            await client.workspace.delete(workspace.id)
            print(f"Deleted workspace: {workspace.id}")
    print("concurrent: ok")


if __name__ == "__main__":
    asyncio.run(main())
