"""Basic usage with the blocking client: a workspace, a sandbox bound to it, commands, files.

Run it against a live server: ``python python/examples/basic.py``. The server is
``WORKSPACE_API_URL`` (default ``http://127.0.0.1:8080``), with the API key in
``WORKSPACE_API_KEY`` if the server wants one; the sandbox template is
``workspace-test:latest``. It prints what it does, exits non-zero if anything is not as
expected, and deletes what it made either way.
"""

from __future__ import annotations

import os
import sys

from workspace_sdk import (
    CreateSandboxParams,
    CreateWorkspaceParams,
    RunCommandOptions,
    WorkspaceClient,
)

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys
TEMPLATE = "workspace-test:latest"


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


def remove_all(client: WorkspaceClient, workspace_id: str) -> None:
    """Delete the workspace's sandboxes, then the workspace (which refuses while they exist)."""
    for sandbox in client.sandbox.list(workspace_id=workspace_id):
        client.sandbox.delete(sandbox.id, force=True)
    client.workspace.delete(workspace_id)


def main() -> None:
    # Using the client as a context manager closes its connections at the end.
    with WorkspaceClient(API_URL, api_key=API_KEY) as client:
        # Create a workspace (persistent storage)
        workspace = client.workspace.create(CreateWorkspaceParams(name="my-workspace"))
        print(f"Created workspace: {workspace.id}")
        done = False
        try:
            # Create a sandbox bound to the workspace; returns once it is running
            sandbox = client.sandbox.create(
                CreateSandboxParams(workspace_id=workspace.id, template=TEMPLATE)
            )
            print(f"Created sandbox: {sandbox.id} ({sandbox.state})")
            check(sandbox.state == "running", f"sandbox state {sandbox.state}")

            # Run a command (no shell: the arguments go to echo as they are)
            result = client.process.run(
                sandbox.id, "echo", RunCommandOptions(args=["Hello", "World"])
            )
            print(f"Output: {result.stdout}", end="")
            check(result.exit_code == 0, f"echo exited {result.exit_code}")
            check(result.stdout == "Hello World\n", f"echo printed {result.stdout!r}")

            # Write a file to the workspace, and read it back
            client.workspace.write_file(workspace.id, "hello.txt", "Hello, World!")
            content = client.workspace.read_file(workspace.id, "hello.txt")
            print(f"File content: {content}")
            check(content == "Hello, World!", f"read back {content!r}")

            # The sandbox sees the same files under /workspace, its working directory
            seen = client.process.exec(sandbox.id, "cat", "/workspace/hello.txt")
            print(f"The sandbox reads: {seen}")
            check(seen == "Hello, World!", f"the sandbox read {seen!r}")

            # A shell script, with an environment variable; the files it makes are in the
            # workspace too
            script = 'mkdir -p out && for i in 1 2 3; do echo "Item $i"; done > out/items.txt'
            shell = client.process.shell(sandbox.id, script, env={"DEBUG": "true"})
            check(shell.exit_code == 0, f"the script exited {shell.exit_code}: {shell.stderr}")
            items = client.workspace.read_file(workspace.id, "out/items.txt")
            print(f"out/items.txt: {items.splitlines()}")
            check(items == "Item 1\nItem 2\nItem 3\n", f"out/items.txt holds {items!r}")
            names = sorted(info.name for info in client.workspace.list_files(workspace.id))
            print(f"Workspace files: {names}")
            check(names == ["hello.txt", "out"], f"the workspace lists {names}")

            # A non-zero exit is a result, not an exception
            failed = client.process.run(sandbox.id, "sh", RunCommandOptions(args=["-c", "exit 3"]))
            print(f"sh -c 'exit 3' exited with {failed.exit_code}")
            check(failed.exit_code == 3, f"exit code {failed.exit_code}")

            # Cleanup: the sandbox first, then the workspace
            client.sandbox.delete(sandbox.id, force=True)
            print(f"Deleted sandbox: {sandbox.id}")
            client.workspace.delete(workspace.id)
            print(f"Deleted workspace: {workspace.id}")
            done = True
        finally:
            if not done:  # something failed on the way: still leave nothing behind
                remove_all(client, workspace.id)
    print("basic: ok")


if __name__ == "__main__":
    main()
