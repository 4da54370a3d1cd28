"""Settings of the live tests: they run only when WM_TEST_API_URL names a running server.

Why a separate module: the live suites (sync and async) share the server address, the
skip reason, the sandbox template, the ``client`` and ``ws`` fixtures (registered by
``conftest.py``), a fresh sandbox for asyncio tests and a 20 MB payload helper, and none of it
belongs in unit tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from workspace_sdk import (
    AsyncWorkspaceClient,
    CreateSandboxParams,
    CreateWorkspaceParams,
    Sandbox,
    SandboxNotFoundError,
    Workspace,
    WorkspaceClient,
    WorkspaceNotFoundError,
)

LIVE_URL = os.environ.get("WM_TEST_API_URL", "")
skip_unless_live = pytest.mark.skipif(
    not LIVE_URL, reason="live test: set WM_TEST_API_URL to a running Workspace Manager server"
)
TEMPLATE = os.environ.get("WM_TEST_TEMPLATE", "workspace-test:latest")
BIG_SIZE = 20 * 1024 * 1024
ALL_BYTES = bytes(range(256)) * 4


def client_options() -> dict[str, Any]:
    options: dict[str, Any] = {"api_url": LIVE_URL}
    if os.environ.get("WM_TEST_API_KEY"):
        options["api_key"] = os.environ["WM_TEST_API_KEY"]
    return options


@pytest.fixture
def client() -> Iterator[WorkspaceClient]:
    """A blocking client of the live server."""
    with WorkspaceClient(**client_options()) as client:
        yield client


@pytest.fixture
def ws(client: WorkspaceClient, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """A fresh workspace named after the test module, deleted afterwards with its sandboxes."""
    name = request.module.__name__.removeprefix("test_").replace("_", "-")
    workspace = client.workspace.create(CreateWorkspaceParams(name=name))
    yield workspace
    with contextlib.suppress(WorkspaceNotFoundError):
        for sandbox in client.sandbox.list(workspace_id=workspace.id):
            with contextlib.suppress(SandboxNotFoundError):
                client.sandbox.delete(sandbox.id, force=True)
        client.workspace.delete(workspace.id)


@contextlib.asynccontextmanager
async def async_sandbox(
    workspace_name: str, **fields: Any
) -> AsyncIterator[tuple[AsyncWorkspaceClient, Sandbox]]:
    """An asyncio client and a fresh sandbox (``fields`` of its creation) on a fresh workspace;
    the workspace and every sandbox left in it are deleted afterwards."""
    async with AsyncWorkspaceClient(**client_options()) as client:
        ws = await client.workspace.create(CreateWorkspaceParams(name=workspace_name))
        try:
            params = CreateSandboxParams(workspace_id=ws.id, template=TEMPLATE, **fields)
            yield client, await client.sandbox.create(params)
        finally:
            for sandbox in await client.sandbox.list(workspace_id=ws.id):
                with contextlib.suppress(SandboxNotFoundError):
                    await client.sandbox.delete(sandbox.id, force=True)
            await client.workspace.delete(ws.id)


def make_big_file(directory: Path) -> tuple[Path, str]:
    """A 20 MB file of random bytes and its SHA-256."""
    path = directory / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as file:
        for _ in range(BIG_SIZE // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            file.write(chunk)
    return path, digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
