"""``client.pty`` failures: refused upgrades, unreachable servers, bad arguments, and the
back-pressure of output nobody has asked for yet."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from pty_server import FakePtyServer, send_ready, until
from websockets.asyncio.server import ServerConnection

import workspace_sdk._pty_session as pty_session
from workspace_sdk import (
    AsyncWorkspaceClient,
    PtyNotFoundError,
    PtyOptions,
    SandboxNotFoundError,
    WorkspaceError,
)
from workspace_sdk._pty_open import ws_url


def envelope(code: int, message: str = "nope") -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": {}}}


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (404, 4001, PtyNotFoundError),
        (404, 2001, SandboxNotFoundError),
        (409, 2002, WorkspaceError),
        (401, 1002, WorkspaceError),
    ],
)
def test_refused_upgrade_raises_the_mapped_error(
    status: int, code: int, error_class: type[WorkspaceError]
) -> None:
    async def main() -> None:
        async with (
            FakePtyServer(refuse=(status, envelope(code, "pty gone"))) as server,
            AsyncWorkspaceClient(server.url) as client,
        ):
            with pytest.raises(error_class) as caught:
                await client.pty.reconnect("sb-1", "nope")
            with pytest.raises(error_class):
                await client.pty.connect("sb-1")
        assert type(caught.value) is error_class
        assert (caught.value.code, caught.value.status) == (code, status)
        assert caught.value.message == "pty gone"

    asyncio.run(main())


def test_refused_upgrade_without_envelope_uses_the_status() -> None:
    async def main() -> None:
        async with (
            FakePtyServer(refuse=(404, "not json")) as server,
            AsyncWorkspaceClient(server.url) as client,
        ):
            with pytest.raises(WorkspaceError) as caught:
                await client.pty.connect("sb-1")
        assert (caught.value.code, caught.value.status) == (1007, 404)

    asyncio.run(main())


def test_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> None:
        async with AsyncWorkspaceClient(f"http://127.0.0.1:{port}") as client:
            with pytest.raises(WorkspaceError) as caught:
                await client.pty.connect("sb-1")
        assert caught.value.code == 9001
        assert f"ws://127.0.0.1:{port}/v1/sandboxes/sb-1/pty" in caught.value.message

    asyncio.run(main())


def test_socket_closed_before_ready_is_a_bad_response() -> None:
    async def session(ws: ServerConnection, server: FakePtyServer) -> None:
        await ws.close(1011, "no PTY connection")

    async def main() -> None:
        async with (
            FakePtyServer(session=session) as server,
            AsyncWorkspaceClient(server.url) as client,
        ):
            with pytest.raises(WorkspaceError) as caught:
                await client.pty.connect("sb-1")
        assert caught.value.code == 9003
        assert "1011" in caught.value.message

    asyncio.run(main())


def test_no_ready_within_the_timeout() -> None:
    async def session(ws: ServerConnection, server: FakePtyServer) -> None:
        await asyncio.sleep(2)

    async def main() -> None:
        async with (
            FakePtyServer(session=session) as server,
            AsyncWorkspaceClient(server.url, timeout=0.3) as client,
        ):
            with pytest.raises(WorkspaceError) as caught:
                await client.pty.connect("sb-1")
        assert caught.value.code == 9002

    asyncio.run(main())


def test_late_ready_is_waited_for() -> None:
    async def session(ws: ServerConnection, server: FakePtyServer) -> None:
        await asyncio.sleep(0.2)
        await send_ready(ws, server, "late")
        server.received.append(await ws.recv())

    async def main() -> FakePtyServer:
        async with (
            FakePtyServer(session=session) as server,
            AsyncWorkspaceClient(server.url) as client,
        ):
            pty = await client.pty.connect("sb-1")
            assert pty.pty_id == "late"
            await pty.write("typed early")
            await until(lambda: bool(server.received))
        return server

    assert asyncio.run(main()).received == [b"typed early"]


def test_full_backlog_pauses_reading_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pty_session, "BACKLOG_LIMIT", 1000)
    chunks = [bytes([65 + i % 26]) * 300 for i in range(40)]

    async def session(ws: ServerConnection, server: FakePtyServer) -> None:
        await send_ready(ws, server)
        for chunk in chunks:
            await ws.send(chunk)
        await ws.send(json.dumps({"type": "exit", "code": 0}))
        await ws.close()

    async def main() -> None:
        async with (
            FakePtyServer(session=session) as server,
            AsyncWorkspaceClient(server.url) as client,
        ):
            pty = await client.pty.connect("sb-1")
            await asyncio.sleep(0.3)
            assert pty.exit_code is None  # paused with the backlog full
            assert pty._backlog_size < 1000 + 300
            received = bytearray()
            pty.on_data(received.extend)
            assert await pty.wait() == 0
            assert bytes(received) == b"".join(chunks)

    asyncio.run(main())


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (PtyOptions(cols=0), ValueError),
        (PtyOptions(rows=1000), ValueError),
        (PtyOptions(cols="80"), TypeError),  # type: ignore[arg-type]
        (PtyOptions(shell=""), ValueError),
        (PtyOptions(env={"A=B": "c"}), ValueError),
        (PtyOptions(env={"A": 1}), TypeError),  # type: ignore[dict-item]
        ({"cols": 80}, TypeError),
    ],
)
def test_bad_options_fail_before_connecting(options: Any, error: type[Exception]) -> None:
    async def main() -> None:
        async with AsyncWorkspaceClient("http://127.0.0.1:1") as client:
            with pytest.raises(error):
                await client.pty.connect("sb-1", options)

    asyncio.run(main())


def test_bad_reconnect_and_resize_arguments() -> None:
    async def main() -> None:
        async with (
            FakePtyServer() as server,
            AsyncWorkspaceClient(server.url) as client,
        ):
            with pytest.raises(ValueError, match="after"):
                await client.pty.reconnect("sb-1", "p", after=-1)
            with pytest.raises(ValueError, match="pty id"):
                await client.pty.reconnect("sb-1", "")
            async with await client.pty.connect("sb-1") as pty:
                with pytest.raises(ValueError, match="cols"):
                    await pty.resize(0, 10)
                with pytest.raises(ValueError, match="rows"):
                    await pty.resize(10, 1001)
                with pytest.raises(TypeError):
                    await pty.write(42)  # type: ignore[arg-type]

    asyncio.run(main())


def test_ws_url_follows_the_api_url() -> None:
    assert ws_url("http://h:8080", "/v1/x", [("a", "1")]) == "ws://h:8080/v1/x?a=1"
    assert ws_url("https://h/prefix", "/v1/x", []) == "wss://h/prefix/v1/x"
    assert ws_url("https://h", "/p", [("env", "A=b c")]) == "wss://h/p?env=A%3Db%20c"
