"""A small real WebSocket server on 127.0.0.1:0 that speaks the PTY protocol, for unit tests.

Why a real server: the SDK's PTY code is mostly about the socket (upgrade headers, frame
kinds, close codes, a refused upgrade's JSON body), which a mock would only restate.
By default it sends ``ready``, then ``greeting``, echoes binary frames, answers a resize
with the bytes ``resized COLSxROWS``, a kill with ``exit`` 137 and a close (1000), and
anything else with an ``error`` frame. ``session`` replaces that behaviour.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

Session = Callable[[ServerConnection, "FakePtyServer"], Awaitable[None]]


class FakePtyServer:
    def __init__(
        self,
        *,
        greeting: list[bytes] | None = None,
        offset: int = 0,
        refuse: tuple[int, Any] | None = None,
        session: Session | None = None,
    ) -> None:
        self.greeting = greeting or []
        self.offset = offset
        self.refuse = refuse  # (status, JSON body) answered instead of the upgrade
        self.session = session
        self.requests: list[Request] = []
        self.received: list[str | bytes] = []
        self.client_close_codes: list[int | None] = []
        self.url = ""

    async def __aenter__(self) -> FakePtyServer:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._process_request
        )
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def controls(self) -> list[dict[str, Any]]:
        return [json.loads(m) for m in self.received if isinstance(m, str)]

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request)
        if self.refuse is None:
            return None
        status, body = self.refuse
        headers = Headers({"Content-Type": "application/json"})
        return Response(status, "Refused", headers, json.dumps(body).encode())

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            await (self.session or default_session)(ws, self)
        except ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            self.client_close_codes.append(ws.close_code)


async def send_ready(ws: ServerConnection, server: FakePtyServer, pty_id: str = "pty-1") -> None:
    await ws.send(json.dumps({"type": "ready", "pty_id": pty_id, "offset": server.offset}))


async def default_session(ws: ServerConnection, server: FakePtyServer) -> None:
    await send_ready(ws, server)
    for chunk in server.greeting:
        await ws.send(chunk)
    async for message in ws:
        server.received.append(message)
        if isinstance(message, bytes):
            await ws.send(message)
            continue
        control = json.loads(message)
        if control.get("type") == "resize":
            await ws.send(f"resized {control['cols']}x{control['rows']}".encode())
        elif control.get("type") == "kill":
            await ws.send(json.dumps({"type": "exit", "code": 137}))
            await ws.close(1000, "pty exited")
        else:
            await ws.send(json.dumps({"type": "error", "code": 1001, "message": "unknown"}))


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds, or fail the test."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
