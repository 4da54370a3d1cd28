"""``PtySession``: one terminal in a sandbox over a WebSocket, driven by callbacks.

Why callbacks and one reader task: a terminal lives as long as the caller wants, so each
session owns a task that reads the socket and hands terminal bytes to ``on_data`` in
arrival order, control messages to ``on_exit`` / ``on_error`` and the end of the socket to
``on_close`` (once). Output that arrives before the first ``on_data`` is kept for it, so
registering after ``connect`` loses nothing; past ``BACKLOG_LIMIT`` the reader stops
reading (the server then pauses the terminal) rather than drop bytes.

Wire protocol: binary frames are terminal bytes both ways; text frames are JSON control.
The server sends ``{"type":"ready","pty_id","offset"}`` first, ``{"type":"exit","code"}``
last (then closes with 1000) and ``{"type":"error","code","message"}`` for a refused
control message; the client sends ``{"type":"resize","cols","rows"}`` and ``{"type":"kill"}``.
Imported only when a PTY is opened: the blocking client must work without asyncio.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from ._pty_callbacks import (
    CloseCallback,
    DataCallback,
    ErrorCallback,
    ExitCallback,
    call,
    finish_flush,
    logger,
    start,
)
from .errors import CLIENT_NETWORK_ERROR, WorkspaceError, error_class_for_code

BACKLOG_LIMIT = 4 * 1024 * 1024  # bytes kept for a first on_data before reading pauses
MAX_DIMENSION = 1000  # the server's bound for a resize


class PtySession:
    """A terminal in a sandbox: ``await write``, ``resize``, ``kill``, ``close``, callbacks.

    Made by ``client.pty.connect`` / ``reconnect``, which return once the server has
    sent ``ready`` (so ``pty_id`` and ``offset`` are known).
    """

    def __init__(
        self, ws: ClientConnection, what: str, on_done: Callable[[PtySession], object]
    ) -> None:
        self._ws = ws
        self._what = what  # "PTY in sandbox sb-1", for messages
        self._on_done = on_done
        self._pty_id: str | None = None
        self._offset = 0
        self._exit_code: int | None = None
        self._open = True
        self._ready = asyncio.Event()  # set by "ready", or when the socket ends first
        self._done = asyncio.Event()  # set once every close callback has run
        self._resume = asyncio.Event()  # set by on_data or close(): no more pausing
        self._backlog: list[bytes] = []
        self._backlog_size = 0
        self._flush: asyncio.Future[None] | None = None  # backlog going to a coroutine
        self._data_cbs: list[DataCallback] = []
        self._exit_cbs: list[ExitCallback] = []
        self._error_cbs: list[ErrorCallback] = []
        self._close_cbs: list[CloseCallback] = []
        self._exit_fired = self._close_fired = False
        self._tasks: set[asyncio.Future[None]] = set()
        self._reader = asyncio.ensure_future(self._read())

    # -- state -------------------------------------------------------------------------

    @property
    def pty_id(self) -> str:
        """The PTY's id: pass it to ``client.pty.reconnect`` to attach again."""
        return self._pty_id or ""

    @property
    def offset(self) -> int:
        """Byte offset of the output after the last byte received (``reconnect(after=)``)."""
        return self._offset

    @property
    def exit_code(self) -> int | None:
        """The shell's exit code, ``None`` until the server reports the exit."""
        return self._exit_code

    @property
    def closed(self) -> bool:
        """True once the socket has closed (exit, ``close()``, or a lost connection)."""
        return not self._open

    @property
    def close_code(self) -> int | None:
        """WebSocket close code: 1000 after an exit or ``close()``, 1011 if the agent was lost."""
        return self._ws.close_code

    # -- callbacks ---------------------------------------------------------------------

    def on_data(self, callback: DataCallback) -> None:
        """Call ``callback(bytes)`` with terminal output, in order.

        The first data callback gets the output that arrived before it was registered.
        """
        first = not self._data_cbs
        self._data_cbs.append(callback)
        self._resume.set()
        if first and self._backlog:
            chunks, self._backlog, self._backlog_size = self._backlog, [], 0
            self._flush_backlog(callback, chunks)

    def on_exit(self, callback: ExitCallback) -> None:
        """Call ``callback(code)`` when the shell exits (at once if it already has)."""
        if self._exit_fired:
            self._spawn(call(callback, self._exit_code))
        else:
            self._exit_cbs.append(callback)

    def on_error(self, callback: ErrorCallback) -> None:
        """Call ``callback(WorkspaceError)`` when the server refuses a control message.

        Without one, refusals are logged as warnings on ``workspace_sdk.pty``.
        """
        self._error_cbs.append(callback)

    def on_close(self, callback: CloseCallback) -> None:
        """Call ``callback()`` once the socket has closed (at once if it already has)."""
        if self._close_fired:
            self._spawn(call(callback))
        else:
            self._close_cbs.append(callback)

    # -- actions -----------------------------------------------------------------------

    async def write(self, data: str | bytes) -> None:
        """Send keystrokes: ``str`` is sent as UTF-8, bytes as they are."""
        if isinstance(data, str):
            payload = data.encode("utf-8")
        elif isinstance(data, (bytes, bytearray, memoryview)):
            payload = bytes(data)
        else:
            raise TypeError(f"write takes str or bytes, got {type(data).__name__}")
        if payload:
            await self._send(payload)

    async def resize(self, cols: int, rows: int) -> None:
        """Set the terminal size (1 to 1000 columns and rows)."""
        for name, value in (("cols", cols), ("rows", rows)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if not 1 <= value <= MAX_DIMENSION:
                raise ValueError(f"{name} must be between 1 and {MAX_DIMENSION}, got {value}")
        await self._send(json.dumps({"type": "resize", "cols": cols, "rows": rows}))

    async def kill(self) -> None:
        """Kill the shell and every process of its session; the server then sends the exit
        and closes the socket (``on_exit``, ``on_close``). Nothing to do after an exit."""
        if self._exit_code is None:
            await self._send(json.dumps({"type": "kill"}))

    async def close(self) -> None:
        """Detach without killing: the PTY lives on for the server's grace period
        (reattach with ``client.pty.reconnect``). Returns after ``on_close`` has run."""
        self._resume.set()
        await self._ws.close()
        current = asyncio.current_task()
        if current is not self._reader and current not in self._tasks:  # not from a callback
            await self._done.wait()

    async def wait(self) -> int | None:
        """Wait until the socket closes; return ``exit_code`` (``None`` if detached or lost)."""
        await self._done.wait()
        return self._exit_code

    async def __aenter__(self) -> PtySession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "open" if self._open else f"closed, exit_code={self._exit_code}"
        return f"PtySession(pty_id={self._pty_id!r}, offset={self._offset}, {state})"

    # -- internals ---------------------------------------------------------------------

    async def _send(self, message: str | bytes) -> None:
        await self._ready.wait()
        try:
            if self._open:
                await self._ws.send(message)
                return
        except ConnectionClosed:
            pass
        raise WorkspaceError(
            CLIENT_NETWORK_ERROR,
            f"the {self._what} is closed (WebSocket close code {self._ws.close_code}); "
            "reattach with client.pty.reconnect if the PTY still runs",
        )

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if isinstance(message, str):
                    await self._control(message)
                else:
                    self._offset += len(message)
                    await self._data(message)
        except ConnectionClosed:
            pass  # the close code is on self._ws
        except Exception:
            logger.exception("reading the %s failed", self._what)
            await self._ws.close(1011)
        finally:
            await self._finish()

    async def _data(self, data: bytes) -> None:
        if self._flush is not None:  # the backlog goes out first
            await self._flush
            self._flush = None
        if not self._data_cbs:
            self._backlog.append(data)
            self._backlog_size += len(data)
            if self._backlog_size >= BACKLOG_LIMIT:
                await self._resume.wait()  # the server pauses the terminal meanwhile
            return
        for callback in list(self._data_cbs):
            await call(callback, data)

    def _flush_backlog(self, callback: DataCallback, chunks: list[bytes]) -> None:
        """Give ``chunks`` to a first callback: right now if it is a plain function, else in
        a task the reader waits for before it delivers anything newer."""
        for index, chunk in enumerate(chunks):
            result = start(callback, chunk)
            if result is not None:
                rest = chunks[index + 1 :]
                self._flush = self._spawn(finish_flush(result, callback, rest))
                return

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ready" and self._pty_id is None:
            self._pty_id = str(message.get("pty_id") or "")
            offset = message.get("offset")
            self._offset = offset if isinstance(offset, int) and offset >= 0 else 0
            self._ready.set()
        elif kind == "exit":
            code = message.get("code")
            self._exit_code = code if isinstance(code, int) else -1
            await self._fire_exit()
        elif kind == "error":
            await self._fire_error(message)
        else:
            logger.warning("ignored a control message on the %s: %.200s", self._what, text)

    async def _fire_exit(self) -> None:
        if self._exit_fired:
            return
        self._exit_fired = True
        callbacks, self._exit_cbs = self._exit_cbs, []
        for callback in callbacks:
            await call(callback, self._exit_code)

    async def _fire_error(self, message: dict[str, Any]) -> None:
        code = message.get("code")
        code = code if isinstance(code, int) else 1000
        text = message.get("message")
        error = error_class_for_code(code)(code, text if isinstance(text, str) else "")
        if not self._error_cbs:
            logger.warning("the server refused a control message on the %s: %s", self._what, error)
        for callback in list(self._error_cbs):
            await call(callback, error)

    async def _finish(self) -> None:
        self._open = False
        self._ready.set()  # writers waiting for "ready" now fail
        self._resume.set()
        try:
            if self._flush is not None:
                await self._flush
            self._close_fired = True
            callbacks, self._close_cbs = self._close_cbs, []
            for callback in callbacks:
                await call(callback)
        finally:
            self._done.set()
            self._on_done(self)

    def _spawn(self, awaitable: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
