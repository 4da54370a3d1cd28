"""Live: sandbox lifecycle and errors of the blocking client against a real server.

Needs Docker and the template ``workspace-test:latest`` on the server's host.
"""

from __future__ import annotations

import pytest
from live import TEMPLATE, skip_unless_live

from workspace_sdk import (
    CreateSandboxParams,
    RunCommandOptions,
    SandboxNotFoundError,
    TemplateNotFoundError,
    Workspace,
    WorkspaceClient,
    WorkspaceError,
    WorkspaceNotFoundError,
)

pytestmark = skip_unless_live


def test_sandbox_lifecycle(client: WorkspaceClient, ws: Workspace) -> None:
    params = CreateSandboxParams(
        workspace_id=ws.id,
        template=TEMPLATE,
        name="my-sandbox",
        env={"APP_ENV": "development"},
        metadata={"project": "demo"},
        timeout=3600,
    )
    sandbox = client.sandbox.create(params)
    assert (sandbox.state, sandbox.workspace_id, sandbox.template) == ("running", ws.id, TEMPLATE)
    assert (sandbox.name, sandbox.env, sandbox.metadata) == (
        "my-sandbox",
        {"APP_ENV": "development"},
        {"project": "demo"},
    )
    assert sandbox.timeout == 3600 and sandbox.expires_at and sandbox.error_message is None
    assert client.sandbox.wait_for_state(sandbox.id, "running", timeout=30).id == sandbox.id
    got = client.sandbox.get(sandbox.id)
    assert (got.id, got.name, got.state) == (sandbox.id, "my-sandbox", "running")
    assert sandbox.id in [s.id for s in client.sandbox.list()]
    assert sandbox.id in [s.id for s in client.sandbox.list(state="running")]
    assert sandbox.id not in [s.id for s in client.sandbox.list(state="error")]
    assert [s.id for s in client.sandbox.list(workspace_id=ws.id)] == [sandbox.id]
    assert [s.id for s in client.sandbox.list("running", ws.id)] == [sandbox.id]
    assert client.sandbox.exists(sandbox.id)
    env = client.process.run(sandbox.id, "sh", RunCommandOptions(args=["-c", "echo $APP_ENV"]))
    assert env.stdout == "development\n"

    client.sandbox.delete(sandbox.id)  # graceful: SIGTERM, then the grace period
    assert not client.sandbox.exists(sandbox.id)
    assert client.sandbox.list(workspace_id=ws.id) == []
    with pytest.raises(SandboxNotFoundError) as info:
        client.sandbox.get(sandbox.id)
    assert (info.value.code, info.value.status) == (2001, 404)
    with pytest.raises(SandboxNotFoundError):
        client.sandbox.delete(sandbox.id, force=True)
    with pytest.raises(SandboxNotFoundError):
        client.sandbox.wait_for_state(sandbox.id, "running")
    assert not client.sandbox.exists("no-such-sandbox")


def test_sandboxes_share_the_workspace(client: WorkspaceClient, ws: Workspace) -> None:
    params = CreateSandboxParams(workspace_id=ws.id, template=TEMPLATE)
    first, second = client.sandbox.create(params), client.sandbox.create(params)
    client.workspace.write_file(ws.id, "hello.txt", "Hello, World!")
    seen = client.process.run(first.id, "cat", RunCommandOptions(args=["/workspace/hello.txt"]))
    assert seen.stdout == "Hello, World!"
    client.process.shell(second.id, "echo from-second > /workspace/x.txt")
    assert client.workspace.read_file(ws.id, "x.txt") == "from-second\n"
    listed = {s.id for s in client.sandbox.list(workspace_id=ws.id)}
    assert listed == {first.id, second.id}
    client.sandbox.delete(first.id, force=True)
    client.sandbox.delete(second.id, force=True)


def test_workspace_with_a_sandbox_cannot_be_deleted(client: WorkspaceClient, ws: Workspace) -> None:
    sandbox = client.sandbox.create(CreateSandboxParams(workspace_id=ws.id, template=TEMPLATE))
    with pytest.raises(WorkspaceError) as info:
        client.workspace.delete(ws.id)
    assert (type(info.value), info.value.code, info.value.status) == (WorkspaceError, 7002, 409)
    assert info.value.message
    client.sandbox.delete(sandbox.id, force=True)
    client.workspace.delete(ws.id)
    with pytest.raises(WorkspaceNotFoundError):
        client.workspace.get(ws.id)


def test_create_errors(client: WorkspaceClient, ws: Workspace) -> None:
    missing = CreateSandboxParams(workspace_id=ws.id, template="no-such-template:nope")
    with pytest.raises(TemplateNotFoundError) as info:
        client.sandbox.create(missing)
    assert (info.value.code, info.value.status) == (2003, 404)
    assert client.sandbox.list(workspace_id=ws.id) == []  # nothing was created
    with pytest.raises(WorkspaceNotFoundError):
        client.sandbox.create(CreateSandboxParams(workspace_id="no-such-ws", template=TEMPLATE))
    with pytest.raises(SandboxNotFoundError):
        client.sandbox.get("invalid-id")
    with pytest.raises(WorkspaceError) as bad:
        client.sandbox.get("not an id!")
    assert bad.value.code == 1001
    with pytest.raises(SandboxNotFoundError):
        client.process.run("no-such-sandbox", "true")
