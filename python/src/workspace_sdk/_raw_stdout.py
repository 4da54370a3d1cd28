"""A process's raw stdout: the server's ``application/octet-stream`` reply to a run.

Why a context manager rather than an iterator alone: the process belongs to the
response (the server kills it when the connection closes before it exits), so the
response must be closed deterministically, and the exit code is only known once the
body has been read to its end. The server puts that code in HTTP trailers, which
httpx does not expose; a body that ended cleanly means the process has exited, so the
code is then read from ``client.process.list``. A body cut off is a network error.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from ._http import AsyncHTTP, Call, SyncHTTP, _mapped_errors
from .errors import CLIENT_BAD_RESPONSE, WorkspaceError
from .models import ProcessInfo


def _pid(response: httpx.Response) -> int:
    value = response.headers.get("x-pid", "")
    if not value.isdigit() or int(value) <= 0:
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE,
            f"the raw output reply has no valid x-pid header: {value!r}",
            status=response.status_code,
        )
    return int(value)


class _Exit:
    """The fields both flavours fill in once the body has been read to its end."""

    pid: int | None = None
    exit_code: int | None = None
    timed_out: bool | None = None

    def _ended(self, processes: list[ProcessInfo]) -> None:
        for info in processes:
            if info.pid == self.pid and info.state == "exited":
                self.exit_code, self.timed_out = info.exit_code, info.timed_out
                return
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE, f"process {self.pid} is not listed as exited after its output"
        )


class RawStdout(_Exit):
    """``client.process.stream_stdout``: use with ``with``, iterate for ``bytes`` chunks.

    ``pid`` is set on entry; ``exit_code`` and ``timed_out`` once every chunk has been
    read (they stay ``None`` when the loop is left early). Leaving the ``with`` block
    before the end closes the connection, and the server kills the process.
    """

    def __init__(
        self, http: SyncHTTP, call: Call[None], list_call: Call[list[ProcessInfo]]
    ) -> None:
        self._http, self._call, self._list = http, call, list_call
        self._stack = contextlib.ExitStack()
        self._response: httpx.Response | None = None

    def __enter__(self) -> RawStdout:
        self._response = self._stack.enter_context(self._http.stream(self._call))
        try:
            self.pid = _pid(self._response)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.__exit__(*exc)

    def __iter__(self) -> Iterator[bytes]:
        if self._response is None:
            raise RuntimeError("use stream_stdout(...) in a with block")
        with _mapped_errors(self._call, self._http.config):
            yield from self._response.iter_raw()
        self._ended(self._http.call(self._list))


class AsyncRawStdout(_Exit):
    """The asyncio ``RawStdout``: ``async with``, then ``async for`` over ``bytes`` chunks."""

    def __init__(
        self, http: AsyncHTTP, call: Call[None], list_call: Call[list[ProcessInfo]]
    ) -> None:
        self._http, self._call, self._list = http, call, list_call
        self._stream = http.stream(call)
        self._response: httpx.Response | None = None

    async def __aenter__(self) -> AsyncRawStdout:
        self._response = await self._stream.__aenter__()
        try:
            self.pid = _pid(self._response)
        except BaseException as exc:
            await self._stream.__aexit__(type(exc), exc, None)
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stream.__aexit__(*exc)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._response is None:
            raise RuntimeError("use stream_stdout(...) in an async with block")
        with _mapped_errors(self._call, self._http.config):
            async for chunk in self._response.aiter_raw():
                yield chunk
        self._ended(await self._http.call(self._list))
