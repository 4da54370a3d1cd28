"""``client.pty`` against a real local WebSocket server (``pty_server.FakePtyServer``).

Each test runs one coroutine with ``asyncio.run``; no pytest plugin is needed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from pty_server import FakePtyServer, send_ready, until
from websockets.asyncio.server import ServerConnection

from workspace_sdk import AsyncWorkspaceClient, PtyOptions, PtySession, WorkspaceError

Scenario = Callable[[AsyncWorkspaceClient, FakePtyServer], Awaitable[None]]


def run(scenario: Scenario, **server_options: Any) -> FakePtyServer:
    async def main() -> FakePtyServer:
        async with FakePtyServer(**server_options) as server:
            async with AsyncWorkspaceClient(server.url, api_key="secret") as client:
                await asyncio.wait_for(scenario(client, server), 10)
            return server

    return asyncio.run(main())


def test_connect_sends_size_shell_env_and_api_key() -> None:
    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        options = PtyOptions(
            cols=120, rows=40, shell="/bin/bash", env={"TERM": "xterm", "A": "b=c"}
        )
        pty = await client.pty.connect("sb-1", options)
        assert isinstance(pty, PtySession)
        assert pty.pty_id == "pty-1"
        await pty.close()

    server = run(scenario)
    request = server.requests[0]
    url = urlsplit(request.path)
    assert url.path == "/v1/sandboxes/sb-1/pty"
    assert parse_qsl(url.query) == [
        ("cols", "120"),
        ("rows", "40"),
        ("shell", "/bin/bash"),
        ("env", "TERM=xterm"),
        ("env", "A=b=c"),
    ]
    assert request.headers["X-API-Key"] == "secret"
    assert request.headers["User-Agent"].startswith("workspace-sdk-python/")


def test_default_options_and_custom_key_header() -> None:
    async def main() -> FakePtyServer:
        async with FakePtyServer() as server:
            client = AsyncWorkspaceClient(server.url, api_key="k", api_key_header="Authorization")
            async with client:
                await (await client.pty.connect("sb-1")).close()
            return server

    server = asyncio.run(main())
    assert parse_qsl(urlsplit(server.requests[0].path).query) == [("cols", "80"), ("rows", "24")]
    assert server.requests[0].headers["Authorization"] == "k"
    assert "X-API-Key" not in server.requests[0].headers


def test_output_before_on_data_is_kept_and_delivered_in_order() -> None:
    received: list[bytes] = []

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        await asyncio.sleep(0.2)  # the greeting arrives with nobody listening
        pty.on_data(received.append)
        assert b"".join(received) == b"one two three "  # handed over at registration
        await pty.write("four")
        await until(lambda: b"".join(received).endswith(b"four"))
        assert pty.offset == 1000 + len(b"one two three four")
        await pty.close()

    run(scenario, greeting=[b"one ", b"two ", b"three "], offset=1000)
    assert b"".join(received) == b"one two three four"


def test_coroutine_callbacks_are_awaited_in_order() -> None:
    events: list[Any] = []

    async def on_data(data: bytes) -> None:
        await asyncio.sleep(0.01)  # a slow consumer must not reorder output
        events.append(data)

    async def on_exit(code: int) -> None:
        await asyncio.sleep(0.01)
        events.append(("exit", code))

    async def on_close() -> None:
        events.append("closed")

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        await asyncio.sleep(0.1)
        pty.on_data(on_data)
        pty.on_exit(on_exit)
        pty.on_close(on_close)
        for word in ("d", "e", "f"):
            await pty.write(word)
        await until(lambda: len(events) >= 6)
        await pty.kill()
        assert await pty.wait() == 137

    run(scenario, greeting=[b"a", b"b", b"c"])
    assert events == [b"a", b"b", b"c", b"d", b"e", b"f", ("exit", 137), "closed"]


def test_write_resize_kill_send_the_protocol_messages() -> None:
    output, exits, closes = bytearray(), [], []

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        pty.on_data(output.extend)
        pty.on_exit(exits.append)
        pty.on_close(lambda: closes.append(True))
        await pty.write("ls\n")
        await pty.write(b"\x03")
        await pty.resize(100, 50)
        await until(lambda: b"resized 100x50" in output)
        assert pty.exit_code is None
        await pty.kill()
        assert await pty.wait() == 137
        assert pty.closed and pty.exit_code == 137 and pty.close_code == 1000
        await pty.kill()  # nothing to do after the exit
        await pty.close()  # nor here

    server = run(scenario)
    assert server.received[:2] == [b"ls\n", b"\x03"]
    assert server.controls == [{"type": "resize", "cols": 100, "rows": 50}, {"type": "kill"}]
    assert bytes(output) == b"ls\n\x03resized 100x50"
    assert exits == [137]
    assert closes == [True]


def test_close_detaches_without_kill_and_on_close_fires_once() -> None:
    closes: list[str] = []

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        pty.on_close(lambda: closes.append("first"))
        await pty.close()
        await pty.close()
        assert pty.closed and pty.exit_code is None
        assert await pty.wait() is None
        pty.on_close(lambda: closes.append("late"))  # already closed: called at once
        await asyncio.sleep(0.05)
        with pytest.raises(WorkspaceError) as caught:
            await pty.write("x")
        assert caught.value.code == 9001
        await until(lambda: bool(server.client_close_codes))

    server = run(scenario)
    assert closes == ["first", "late"]
    assert server.received == []
    assert server.client_close_codes == [1000]


def test_server_error_frame_goes_to_on_error_or_the_log(caplog: pytest.LogCaptureFixture) -> None:
    errors: list[WorkspaceError] = []

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        await pty._send(json.dumps({"type": "bogus"}))
        await until(lambda: "refused a control message" in caplog.text)
        pty.on_error(errors.append)
        await pty._send(json.dumps({"type": "bogus"}))
        await until(lambda: bool(errors))
        await pty.close()

    with caplog.at_level(logging.WARNING, logger="workspace_sdk.pty"):
        run(scenario)
    assert errors[0].code == 1001
    assert errors[0].message == "unknown"


def test_lost_agent_closes_with_1011_and_fires_on_close() -> None:
    async def session(ws: ServerConnection, server: FakePtyServer) -> None:
        await send_ready(ws, server)
        await ws.send(b"partial")
        await ws.close(1011, "lost the sandbox agent")

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        closed = asyncio.Event()
        pty.on_close(closed.set)
        await asyncio.wait_for(closed.wait(), 5)
        data: list[bytes] = []
        pty.on_data(data.append)  # the output read before the close is still there
        assert data == [b"partial"]
        assert pty.close_code == 1011 and pty.exit_code is None

    run(scenario, session=session)


def test_callback_errors_are_logged_and_delivery_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[bytes] = []

    def bad(data: bytes) -> None:
        raise RuntimeError("callback bug")

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        pty.on_data(bad)
        pty.on_data(seen.append)
        await pty.write("a")
        await pty.write("b")
        await until(lambda: seen == [b"a", b"b"])
        await pty.close()

    with caplog.at_level(logging.ERROR, logger="workspace_sdk.pty"):
        run(scenario)
    assert "callback bug" in caplog.text


def test_reconnect_asks_for_the_pty_and_offset() -> None:
    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        async with await client.pty.reconnect("sb-1", "pty-1", after=42) as pty:
            assert pty.offset == 42
        async with await client.pty.reconnect("sb-1", "pty-1"):
            pass

    server = run(scenario, offset=42)
    assert server.requests[0].path == "/v1/sandboxes/sb-1/pty/pty-1?after=42"
    assert server.requests[1].path == "/v1/sandboxes/sb-1/pty/pty-1"


def test_client_aclose_detaches_open_sessions() -> None:
    sessions: list[PtySession] = []

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        sessions.append(await client.pty.connect("sb-1"))
        sessions.append(await client.pty.connect("sb-1"))
        await sessions[1].close()

    run(scenario)
    assert all(session.closed for session in sessions)


def test_close_from_a_callback_does_not_deadlock() -> None:
    seen: list[bytes] = []

    async def scenario(client: AsyncWorkspaceClient, server: FakePtyServer) -> None:
        pty = await client.pty.connect("sb-1")
        await asyncio.sleep(0.1)

        async def on_data(data: bytes) -> None:  # first run by the backlog flush
            seen.append(data)
            await pty.close()

        pty.on_data(on_data)
        assert await asyncio.wait_for(pty.wait(), 5) is None

    run(scenario, greeting=[b"a", b"b"])
    assert seen[0] == b"a"
