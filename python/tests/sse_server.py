"""A real HTTP server on 127.0.0.1:0 streaming a process's events (SSE), for unit tests.

Why a real socket: whether the event loop stays free while a read waits, whether the
connection really closes, and how asyncio's shutdown closes an abandoned stream only show on
a connection that can stall and that the server can see go away (httpx.MockTransport never
suspends).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


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


@contextlib.contextmanager
def serving(finite: bool) -> Iterator[Server]:
    """A running ``Server``, shut down afterwards (its gate opened, so no handler stays stalled)."""
    server = Server(finite)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.gate.set()
        server.shutdown()
        server.server_close()
