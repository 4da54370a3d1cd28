"""An async event stream abandoned mid-way closes quietly when asyncio shuts down.

Why a real socket: with httpx.MockTransport closing a response never suspends, so the
out-of-order closing of nested async generators that asyncio's shutdown can cause
(logged as "athrow(): asynchronous generator is already running") does not show.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workspace_sdk import AsyncWorkspaceClient


class EndlessEvents(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b'event: stdout\ndata: {"data": "y"}\n\n')
                self.wfile.flush()
                time.sleep(0.01)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessEvents)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fail", [False, True])
def test_abandoned_stream_closes_quietly(
    url: str, fail: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with AsyncWorkspaceClient(url) as client:
            stream = client.process.run_stream("sb1", "yes")
            async for event in stream:
                assert event.data == "y"
                break
            if fail:
                raise LookupError("the caller failed while the stream was open")

    if fail:
        with pytest.raises(LookupError):
            asyncio.run(main())
    else:
        asyncio.run(main())
    assert "athrow" not in caplog.text and "error occurred" not in caplog.text
