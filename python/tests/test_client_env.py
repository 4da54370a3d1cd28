"""The client variables of the seed table, set in the environment only, on the core clients.

Why these besides ``test_config.py`` and ``test_wm_client_config.py``: the first proves that
each variable is resolved, the second proves its effect through ``wm_client`` (which uses the
blocking client only, and its own file routes). Here ``WorkspaceClient`` and
``AsyncWorkspaceClient`` are built with no argument at all and talk to a real local HTTP
server over httpx's own transport, so each test sees where requests went, what headers they
carried, and that a timeout variable really bounds the wait of the calls it is meant for (and
not the others).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from workspace_sdk import (
    AsyncWorkspaceClient,
    CreateSandboxParams,
    RunCommandOptions,
    WorkspaceClient,
    WorkspaceError,
)

T0 = "2026-01-01T00:00:00.000Z"
SANDBOX = {"id": "sb1", "workspace_id": "ws1", "template": "workspace-test:latest",
           "state": "running", "created_at": T0, "updated_at": T0}  # fmt: skip
FILE_INFO = {"name": "f", "path": "f", "type": "file", "size": 1}
RESULT = {"pid": 42, "exit_code": 0, "stdout": "ok\n", "stderr": "", "truncated": False}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Api:
    """A recording stand-in of the API on 127.0.0.1; ``delays`` slows a route by name."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)
    content: bytes = b"hello"
    sandbox_state: str = "running"

    def answer(self, method: str, path: str) -> tuple[str, int, Any]:
        """Route name, status and reply (bytes are sent raw, anything else as JSON)."""
        if path.endswith("/files/content"):
            return ("files", 200, self.content) if method == "GET" else ("files", 201, FILE_INFO)
        if path.endswith("/processes"):
            return "processes", 200, RESULT
        if path == "/v1/sandboxes":
            return "sandboxes", 201, SANDBOX
        if path.startswith("/v1/sandboxes/"):
            return "sandboxes", 200, {**SANDBOX, "state": self.sandbox_state}
        return "workspaces", 200, {"workspaces": []}


def serve(api: Api) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            api.requests.append(Seen(self.command, path, dict(self.headers.items()), body))
            route, status, reply = api.answer(self.command, path)
            time.sleep(api.delays.get(route, 0))
            binary = isinstance(reply, bytes)
            raw = reply if binary else json.dumps(reply).encode()
            with contextlib.suppress(OSError):  # the client may have given up already
                self.send_response(status)
                kind = "application/octet-stream" if binary else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        do_GET = do_PUT = do_POST = do_DELETE = handle_one  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False  # a handler may still be sleeping on a request given up
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


@pytest.fixture
def start() -> Iterator[Callable[[], Api]]:
    servers: list[ThreadingHTTPServer] = []

    def start_one() -> Api:
        api = Api()
        servers.append(serve(api))
        return api

    yield start_one
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api(start: Callable[[], Api], clean_env: pytest.MonkeyPatch) -> Api:
    """One server, named by WORKSPACE_API_URL."""
    served = start()
    clean_env.setenv("WORKSPACE_API_URL", served.url)
    return served


def call(kind: str, action: Callable[[Any], Any]) -> Any:
    """``action(client)`` on a client built from the environment alone, sync or async."""
    if kind == "sync":
        with WorkspaceClient() as client:
            return action(client)

    async def main() -> Any:
        async with AsyncWorkspaceClient() as client:
            return await action(client)

    return asyncio.run(main())


def timed_out(kind: str, action: Callable[[Any], Any]) -> float:
    """Seconds until ``action`` failed with the client timeout (code 9002)."""
    started = time.monotonic()
    with pytest.raises(WorkspaceError) as info:
        call(kind, action)
    assert info.value.code == 9002, info.value
    return time.monotonic() - started


def list_workspaces(client: Any) -> Any:
    return client.workspace.list()


def read_file(client: Any) -> Any:
    return client.workspace.read_file("ws1", "f")


def test_workspace_api_url_and_wm_base_url_pick_the_server(
    kind: str, start: Callable[[], Api], clean_env: pytest.MonkeyPatch
) -> None:
    primary, legacy = start(), start()
    clean_env.setenv("WM_BASE_URL", legacy.url)
    call(kind, list_workspaces)
    assert [(r.method, r.path) for r in legacy.requests] == [("GET", "/v1/workspaces")]
    clean_env.setenv("WORKSPACE_API_URL", primary.url)  # the primary wins over the alias
    call(kind, list_workspaces)
    assert len(primary.requests) == 1 and len(legacy.requests) == 1


def test_workspace_api_key_is_sent_in_workspace_api_key_header(
    kind: str, api: Api, clean_env: pytest.MonkeyPatch
) -> None:
    call(kind, list_workspaces)
    assert "X-API-Key" not in api.requests[-1].headers  # no key unless one is set
    clean_env.setenv("WORKSPACE_API_KEY", "env-key")
    call(kind, read_file)  # every route carries it, file transfers included
    assert api.requests[-1].headers["X-API-Key"] == "env-key"
    clean_env.setenv("WORKSPACE_API_KEY_HEADER", "X-Gateway-Key")
    call(kind, list_workspaces)
    assert api.requests[-1].headers["X-Gateway-Key"] == "env-key"
    assert "X-API-Key" not in api.requests[-1].headers


def test_wm_request_timeout_bounds_an_ordinary_request(
    kind: str, api: Api, clean_env: pytest.MonkeyPatch
) -> None:
    api.delays["workspaces"] = 0.5
    call(kind, list_workspaces)  # the default (60 s) waits for it
    clean_env.setenv("WM_REQUEST_TIMEOUT", "0.1")
    assert timed_out(kind, list_workspaces) < 0.5


def test_wm_file_timeout_bounds_file_transfers_not_other_requests(
    kind: str, api: Api, clean_env: pytest.MonkeyPatch
) -> None:
    api.delays.update(workspaces=0.5, files=0.5)
    clean_env.setenv("WM_REQUEST_TIMEOUT", "0.1")
    assert call(kind, read_file) == "hello"  # file calls wait WM_FILE_TIMEOUT (120 s)
    assert timed_out(kind, list_workspaces) < 0.5
    clean_env.setenv("WM_REQUEST_TIMEOUT", "30")
    clean_env.setenv("WM_FILE_TIMEOUT", "0.1")
    assert call(kind, list_workspaces) is not None
    assert timed_out(kind, read_file) < 0.5
    assert timed_out(kind, lambda c: c.workspace.write_file("ws1", "f", b"x")) < 0.5


def test_wm_create_timeout_bounds_sandbox_creation_and_the_wait_for_it(
    kind: str, api: Api, clean_env: pytest.MonkeyPatch
) -> None:
    def create(client: Any) -> Any:
        return client.sandbox.create(CreateSandboxParams(workspace_id="ws1"))

    api.delays["sandboxes"] = 0.5
    clean_env.setenv("WM_REQUEST_TIMEOUT", "0.1")
    assert call(kind, create).id == "sb1"  # not bound by WM_REQUEST_TIMEOUT
    clean_env.setenv("WM_CREATE_TIMEOUT", "0.1")
    assert timed_out(kind, create) < 0.5
    api.delays.clear()
    api.sandbox_state = "starting"
    clean_env.setenv("WM_CREATE_TIMEOUT", "0.3")
    with pytest.raises(WorkspaceError, match=r"still starting after 0\.3 s"):
        call(kind, lambda c: c.sandbox.wait_for_state("sb1", "running", interval=0.05))


def test_wm_exec_timeout_is_the_default_command_timeout(
    kind: str, api: Api, clean_env: pytest.MonkeyPatch
) -> None:
    def run(client: Any) -> Any:
        return client.process.run("sb1", "sleep", RunCommandOptions(args=["1"]))

    call(kind, run)
    assert json.loads(api.requests[-1].body)["timeout"] == 300.0
    clean_env.setenv("WM_EXEC_TIMEOUT", "2")
    clean_env.setenv("WM_REQUEST_TIMEOUT", "0.1")
    api.delays["processes"] = 0.5
    assert call(kind, run).stdout == "ok\n"  # the reply is awaited past WM_REQUEST_TIMEOUT
    assert json.loads(api.requests[-1].body)["timeout"] == 2.0  # the server enforces this
    explicit = RunCommandOptions(args=["1"], timeout=5)
    call(kind, lambda c: c.process.run("sb1", "sleep", explicit))
    assert json.loads(api.requests[-1].body)["timeout"] == 5


def test_wm_max_file_transfer_bytes_caps_uploads_and_downloads(
    kind: str, api: Api, clean_env: pytest.MonkeyPatch
) -> None:
    api.content = b"y" * 32
    assert call(kind, read_file) == "y" * 32  # the default cap is 1 GiB
    clean_env.setenv("WM_MAX_FILE_TRANSFER_BYTES", "16")
    sent = len(api.requests)
    with pytest.raises(WorkspaceError, match="WM_MAX_FILE_TRANSFER_BYTES") as info:
        call(kind, lambda c: c.workspace.write_file("ws1", "f", b"x" * 17))
    assert info.value.code == 1004
    assert len(api.requests) == sent  # refused before anything was sent
    with pytest.raises(WorkspaceError, match="transfer cap of 16 bytes"):
        call(kind, read_file)
    call(kind, lambda c: c.workspace.write_file("ws1", "f", b"x" * 16))
    assert api.requests[-1].body == b"x" * 16
