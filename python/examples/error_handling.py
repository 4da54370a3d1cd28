"""Error handling: every failure is a ``WorkspaceError`` whose class follows the server's code.

Each step below provokes one error on purpose and shows how to catch it: a missing
sandbox (2001), workspace (7001), template (2003) or file (5001), a path escaping the
workspace (5006), a command past its timeout (3002, with its output so far), a failing
``exec`` (9004), a PTY that does not exist (4001), and deleting a workspace that still
has sandboxes (7002). ``AgentNotConnectedError`` (3003) is caught the same way; it is not
provoked here, since it needs a sandbox whose agent has stopped answering.

Run it against a live server: ``python python/examples/error_handling.py``. The server is
``WORKSPACE_API_URL`` (default ``http://127.0.0.1:8080``), with the API key in
``WORKSPACE_API_KEY`` if the server wants one; the sandbox template is
``workspace-test:latest``. It prints what it does, exits non-zero if an error is not the
expected one, and deletes what it made either way.
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
from collections.abc import Callable
from typing import Any, TypeVar

from workspace_sdk import (
    AsyncWorkspaceClient,
    CreateSandboxParams,
    CreateWorkspaceParams,
    RunCommandOptions,
    WorkspaceClient,
)
from workspace_sdk.errors import (
    AgentNotConnectedError,
    CommandExitError,
    FileNotFoundError,
    PermissionDeniedError,
    ProcessTimeoutError,
    PtyNotFoundError,
    SandboxNotFoundError,
    TemplateNotFoundError,
    WorkspaceError,
    WorkspaceNotFoundError,
)

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys
TEMPLATE = "workspace-test:latest"
E = TypeVar("E", bound=WorkspaceError)


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


def expect(error_class: type[E], codes: set[int], call: Callable[[], Any]) -> E:
    """Run ``call``; it must raise ``error_class`` with one of ``codes``. Returns the error."""
    try:
        call()
    except error_class as error:
        print(f"  {type(error).__name__} [{error.code}] (HTTP {error.status}): {error.message}")
        check(error.code in codes, f"{type(error).__name__} has code {error.code}, not {codes}")
        return error
    except WorkspaceError as error:
        sys.exit(f"FAILED: expected {error_class.__name__}, got {error!r}")
    sys.exit(f"FAILED: expected {error_class.__name__}, nothing was raised")


def the_readme_pattern(client: WorkspaceClient) -> None:
    """Catch the specific classes first, then ``WorkspaceError`` for everything else."""
    print("Getting a sandbox that does not exist:")
    try:
        client.sandbox.get("invalid-id")
        sys.exit("FAILED: a sandbox 'invalid-id' exists")
    except SandboxNotFoundError:
        print("  Sandbox not found")
    except WorkspaceNotFoundError:
        sys.exit("FAILED: WorkspaceNotFoundError for a sandbox")
    except AgentNotConnectedError:
        sys.exit("FAILED: AgentNotConnectedError for a sandbox that does not exist")
    except WorkspaceError as e:
        sys.exit(f"FAILED: API error [{e.code}]: {e.message}")


def missing_things(client: WorkspaceClient, workspace_id: str) -> None:
    print("A workspace that does not exist:")
    expect(WorkspaceNotFoundError, {7001}, lambda: client.workspace.get("invalid-id"))
    print("A template that does not exist:")
    params = CreateSandboxParams(workspace_id=workspace_id, template="no-such-template:nope")
    expect(TemplateNotFoundError, {2003}, lambda: client.sandbox.create(params))
    print("A file that does not exist:")
    expect(FileNotFoundError, {5001}, lambda: client.workspace.read_file(workspace_id, "nope.txt"))
    check(client.workspace.exists(workspace_id, "nope.txt") is False, "exists('nope.txt')")
    print("A path that leaves the workspace:")
    escape = lambda: client.workspace.read_file(workspace_id, "../../etc/passwd")  # noqa: E731
    expect(PermissionDeniedError, {5002, 5006}, escape)


def failing_commands(client: WorkspaceClient, sandbox_id: str) -> None:
    print("A command past its timeout (the server kills it and keeps its output):")
    script = RunCommandOptions(args=["-c", "echo started; sleep 30"], timeout=1)
    error = expect(
        ProcessTimeoutError, {3002}, lambda: client.process.run(sandbox_id, "sh", script)
    )
    print(f"  pid {error.pid}, stdout so far: {error.stdout!r}")
    check(error.stdout == "started\n", f"the timed-out command's stdout: {error.stdout!r}")
    print("exec of a command that exits non-zero:")
    failed = expect(CommandExitError, {9004}, lambda: client.process.exec(sandbox_id, "false"))
    check(failed.exit_code == 1, f"false exited {failed.exit_code}")
    print("run of the same command is a result, not an error:")
    result = client.process.run(sandbox_id, "false")
    print(f"  exit code {result.exit_code}")
    check(result.exit_code == 1, f"false exited {result.exit_code}")


async def missing_pty(sandbox_id: str) -> None:
    print("A PTY that does not exist (PTYs are on the asyncio client):")
    async with AsyncWorkspaceClient(API_URL, api_key=API_KEY) as client:
        try:
            await client.pty.reconnect(sandbox_id, "no-such-pty")
            sys.exit("FAILED: reconnected to a PTY that does not exist")
        except PtyNotFoundError as error:
            print(f"  PtyNotFoundError [{error.code}]: {error.message}")
            check(error.code == 4001, f"code {error.code}")


def main() -> None:
    with WorkspaceClient(API_URL, api_key=API_KEY) as client:
        the_readme_pattern(client)
        workspace = client.workspace.create(CreateWorkspaceParams(name="error-handling"))
        print(f"Created workspace: {workspace.id}")
        try:
            missing_things(client, workspace.id)
            sandbox = client.sandbox.create(
                CreateSandboxParams(workspace_id=workspace.id, template=TEMPLATE)
            )
            print(f"Created sandbox: {sandbox.id}")
            failing_commands(client, sandbox.id)
            asyncio.run(missing_pty(sandbox.id))

            # Workspace deletion protection
            print("Deleting a workspace that still has a sandbox:")
            try:
                client.workspace.delete(workspace.id)
                sys.exit("FAILED: a workspace with a sandbox was deleted")
            except WorkspaceError as e:
                # Error: Workspace has active sandboxes (code: 7002)
                print(f"  {e.message} (code: {e.code})")
                check(e.code == 7002 and e.status == 409, f"code {e.code}, status {e.status}")
        finally:
            for leftover in client.sandbox.list(workspace_id=workspace.id):
                client.sandbox.delete(leftover.id, force=True)
                print(f"Deleted sandbox: {leftover.id}")
            client.workspace.delete(workspace.id)  # no sandboxes left: now it goes
            print(f"Deleted workspace: {workspace.id}")
        print("Deleting it again:")
        expect(WorkspaceNotFoundError, {7001}, lambda: client.workspace.delete(workspace.id))
    print("error_handling: ok")


if __name__ == "__main__":
    main()
