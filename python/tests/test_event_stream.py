"""The blocking client's ``run_stream`` with ``async for``: same events, loop kept free, closing.

Why a real socket for most of these: whether the event loop stays free while a read waits,
and whether the connection really closes, only show on a connection that can stall and
that the server can see go away.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import make_client
from test_process_stream import EVENTS, STREAM, sse

from workspace_sdk import ProcessEvent, ProcessEventStream, WorkspaceClient

GUARD = 30  # seconds a stalled server waits before giving up, so a broken client fails, not hangs


class Server(ThreadingHTTPServer):
    """Sends ``start``, waits for ``gate``, then ``stdout`` lines until the client goes away.

    ``gone`` is set once a write fails: the client closed the connection. With ``finite``
    it sends one line saying whether the gate opened in time, and ``exit`` 0, instead.
    """

    daemon_threads = True

    def __init__(self, finite: bool) -> None:
        super().__init__(("127.0.0.1", 0), Events)
        self.finite = finite
        self.gate = threading.Event()
        self.gone = threading.Event()
        self.timed_out = False  # the gate stayed shut for GUARD seconds
        self.requests = 0


class Events(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def do_POST(self) -> None:
        self.server.requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.send('event: start\ndata: {"pid": 7}\n\n')
            opened = self.server.gate.wait(GUARD)
            self.server.timed_out = not opened
            if self.server.finite:
                said = "opened" if opened else "stalled"
                self.send(f'event: stdout\ndata: {{"data": "{said}"}}\n\n')
                self.send('event: exit\ndata: {"code": 0}\n\n')
                return
            while True:
                self.send('event: stdout\ndata: {"data": "y"}\n\n')
                self.server.gone.wait(0.01)  # pace the writes; a closed socket fails one soon
        except OSError:
            self.server.gone.set()

    def send(self, text: str) -> None:
        self.wfile.write(text.encode())
        self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


def serve(finite: bool) -> Iterator[Server]:
    server = Server(finite)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.gate.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def finite() -> Iterator[Server]:
    yield from serve(finite=True)


@pytest.fixture
def endless() -> Iterator[Server]:
    yield from serve(finite=False)


def url(server: Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_async_for_yields_the_same_events_as_for() -> None:
    with make_client("sync", sse("sync", STREAM)) as client:
        stream = client.process.run_stream("sb1", "sh")
        assert isinstance(stream, ProcessEventStream)

        async def collect() -> list[ProcessEvent]:
            return [event async for event in stream]

        assert asyncio.run(collect()) == EVENTS
        assert list(client.process.run_stream("sb1", "sh")) == EVENTS
        assert list(client.process.attach("sb1", 42)) == EVENTS


def test_async_for_keeps_the_event_loop_free_while_a_read_waits(finite: Server) -> None:
    async def main() -> list[str]:
        seen = []
        with WorkspaceClient(url(finite)) as client:
            async for event in client.process.run_stream("sb1", "sh"):
                seen.append(event.data or event.type)
                if event.type == "start":
                    # Runs only if the loop is free while the next read waits for the server.
                    asyncio.get_running_loop().call_soon(finite.gate.set)
        return seen

    assert asyncio.run(main()) == ["start", "opened", "exit"]


def test_leaving_async_for_early_and_aclose_closes_the_connection(endless: Server) -> None:
    endless.gate.set()

    async def main() -> None:
        with WorkspaceClient(url(endless)) as client:
            stream = client.process.run_stream("sb1", "yes")
            async for event in stream:
                if event.type == "stdout":
                    break
            await stream.aclose()
            assert [event async for event in stream] == []  # closed: nothing more

    asyncio.run(main())
    assert endless.gone.wait(GUARD)
    assert endless.requests == 1


def test_a_dropped_stream_closes_the_connection(endless: Server) -> None:
    endless.gate.set()

    async def main() -> None:
        with WorkspaceClient(url(endless)) as client:
            async for event in client.process.run_stream("sb1", "yes"):
                if event.type == "stdout":
                    break
            assert endless.gone.wait(GUARD)  # while the client is still open

    asyncio.run(main())


def test_async_with_closes_and_for_with_close_too(endless: Server) -> None:
    endless.gate.set()

    async def main() -> None:
        with WorkspaceClient(url(endless)) as client:
            async with client.process.run_stream("sb1", "yes") as stream:
                assert (await stream.__anext__()).type == "start"
            assert endless.gone.wait(GUARD)

    asyncio.run(main())
    endless.gone.clear()
    with WorkspaceClient(url(endless)) as client, client.process.run_stream("sb1", "yes") as stream:
        assert next(stream).type == "start"
    assert endless.gone.wait(GUARD)


def test_a_cancelled_read_keeps_its_event(endless: Server) -> None:
    async def main() -> list[str]:
        with WorkspaceClient(url(endless)) as client:
            stream = client.process.run_stream("sb1", "yes")
            assert (await stream.__anext__()).type == "start"
            waiting = asyncio.ensure_future(stream.__anext__())  # the server is stalled
            await asyncio.sleep(0)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            endless.gate.set()  # the read still runs in its worker: the next step takes its event
            event = await stream.__anext__()
            await stream.aclose()
            return [event.data]

    assert asyncio.run(main()) == ["y"]
    assert endless.requests == 1


def test_aclose_during_a_stalled_read_returns_at_once(endless: Server) -> None:
    async def main() -> None:
        with WorkspaceClient(url(endless)) as client:
            stream = client.process.run_stream("sb1", "yes")
            assert (await stream.__anext__()).type == "start"
            stalled = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(0)
            stalled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stalled
            await stream.aclose()  # the worker closes the connection after its read
            assert not endless.timed_out  # aclose did not wait for the server's next event
            endless.gate.set()
            assert endless.gone.wait(GUARD)
            assert [event async for event in stream] == []

    asyncio.run(main())
