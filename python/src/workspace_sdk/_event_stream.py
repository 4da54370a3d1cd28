"""The blocking client's process event stream, usable with ``for`` and with ``async for``.

Why both: ``WorkspaceClient.process.run_stream`` (and ``attach``) are plain iterators, and
the contract's examples also write ``async for event in client.process.run_stream(...)``.
``async for`` runs each blocking step (connecting, reading up to the next event, closing)
in a worker thread with ``asyncio.to_thread``, so a silent process never stalls the event
loop; ``for`` runs them in the caller's thread. Events are read one at a time, on demand,
either way: nothing is read ahead.

Stopping early closes the connection (the process keeps running, as with the asyncio
client): ``close()`` / ``await aclose()``, leaving a ``with`` / ``async with`` block, or
dropping the stream, whose generator then closes as it is collected. A step still running
in a worker when the stream is closed (its ``async for`` was cancelled) closes the
connection as soon as that step returns, so ``aclose`` never waits for the next event.
asyncio is imported only once ``async for`` starts: the blocking client does not load it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from .models import ProcessEvent

if TYPE_CHECKING:
    import asyncio


class ProcessEventStream(Iterator[ProcessEvent], AsyncIterator[ProcessEvent]):
    """``ProcessEvent`` s of one process, up to its ``exit`` or ``error``: ``for`` or ``async for``.

    Made by ``WorkspaceClient.process.run_stream`` and ``attach``; the request is sent
    when iteration starts. Use one kind of iteration at a time on a stream.
    """

    def __init__(self, events: Generator[ProcessEvent, None, None]) -> None:
        self._events = events
        self._lock = threading.Lock()
        self._busy = False  # a step runs (in a worker thread, for ``async for``)
        self._closing = False
        self._pending: asyncio.Future[ProcessEvent | None] | None = None

    # -- for ---------------------------------------------------------------------------

    def __iter__(self) -> ProcessEventStream:
        return self

    def __next__(self) -> ProcessEvent:
        event = self._step()
        if event is None:
            raise StopIteration
        return event

    def close(self) -> None:
        """Close the connection now, or as soon as a step running in a worker returns."""
        with self._lock:
            self._closing = True
            if self._busy:
                return
        self._events.close()

    def __enter__(self) -> ProcessEventStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- async for ---------------------------------------------------------------------

    def __aiter__(self) -> ProcessEventStream:
        return self

    async def __anext__(self) -> ProcessEvent:
        import asyncio  # not at module level: the blocking client never imports asyncio

        if self._closing:  # a read still running in its worker closes when it returns
            raise StopAsyncIteration
        if self._pending is None:
            self._pending = asyncio.ensure_future(asyncio.to_thread(self._step))
        # Shielded: a cancelled ``async for`` leaves the step running in its thread, and
        # the next ``__anext__`` takes its event instead of starting a second step.
        pending = self._pending
        try:
            event = await asyncio.shield(pending)
        finally:
            if pending.done():
                self._pending = None
        if event is None:
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        """``close()`` from a worker thread (closing a connection may block briefly)."""
        import asyncio

        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> ProcessEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- one step, in whichever thread iterates ------------------------------------------

    def _step(self) -> ProcessEvent | None:
        """The next event, or ``None`` at the end (or once closed)."""
        with self._lock:
            if self._closing:
                return None
            self._busy = True
        try:
            return next(self._events, None)
        finally:
            with self._lock:
                self._busy = False
                closing = self._closing
            if closing:  # closed while this step ran: its closing was left to us
                self._events.close()
