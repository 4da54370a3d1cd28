"""Client construction: one transport, headers, base URL, context managers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import Recorder, invoke, make_client, reply

from workspace_sdk import AsyncWorkspaceClient, WorkspaceClient, __version__

LIST = {"workspaces": []}


def test_user_agent_and_no_key_by_default(kind: str) -> None:
    recorder = Recorder(reply(200, LIST))
    invoke(kind, recorder, "list")
    assert recorder.last.headers["User-Agent"] == f"workspace-sdk-python/{__version__}"
    assert "X-API-Key" not in recorder.last.headers


def test_api_key_header(kind: str) -> None:
    recorder = Recorder(reply(200, LIST))
    invoke(kind, recorder, "list", client_options={"api_key": "k1"})
    assert recorder.last.headers["X-API-Key"] == "k1"
    options = {"api_key": "k2", "api_key_header": "Authorization"}
    invoke(kind, recorder, "list", client_options=options)
    assert recorder.last.headers["Authorization"] == "k2"
    assert "X-API-Key" not in recorder.last.headers


def test_api_url_with_path_prefix(kind: str) -> None:
    recorder = Recorder(reply(200, LIST))
    invoke(kind, recorder, "list", client_options={"api_url": "https://h.example/wm/"})
    assert str(recorder.last.url) == "https://h.example/wm/v1/workspaces"


def test_positional_and_keyword_url() -> None:
    with WorkspaceClient("http://localhost:8080") as client:
        assert client.api_url == "http://localhost:8080"
    with WorkspaceClient(api_url="http://localhost:8081", timeout=60.0) as client:
        assert client.config.timeout == 60.0


def test_one_transport_reused(kind: str) -> None:
    recorder = Recorder(reply(200, LIST))
    client = make_client(kind, recorder)
    if kind == "sync":
        with client:
            client.workspace.list()
            client.workspace.list()
            transport_ids = {id(client._http._client)}
        with pytest.raises(RuntimeError):
            client.workspace.list()  # closed by the with block
    else:

        async def main() -> None:
            async with client:
                await asyncio.gather(client.workspace.list(), client.workspace.list())
            with pytest.raises(RuntimeError):
                await client.workspace.list()

        asyncio.run(main())
        transport_ids = {id(client._http._client)}
    assert len(recorder.requests) == 2 and len(transport_ids) == 1


def test_close_is_idempotent() -> None:
    client = WorkspaceClient(transport=httpx.MockTransport(reply(200, LIST)))
    client.close()
    client.close()

    async def main() -> None:
        aclient = AsyncWorkspaceClient(transport=httpx.MockTransport(reply(200, LIST)))
        await aclient.aclose()
        await aclient.close()

    asyncio.run(main())


def test_sdk_imports_without_asyncio(tmp_path: Path) -> None:
    # A concurrent.py beside a script shadows the stdlib package asyncio needs;
    # the blocking client must import and work there all the same.
    (tmp_path / "concurrent.py").write_text("raise SystemExit('stdlib concurrent was shadowed')\n")
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, workspace_sdk\n"
        "workspace_sdk.WorkspaceClient('http://localhost:1').close()\n"
        "assert 'asyncio' not in sys.modules\n"
        "print('imported')\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "imported", done.stderr
