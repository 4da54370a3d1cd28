"""``client.process``: commands in a sandbox, run to completion or streamed.

Why two classes over one set of calls: the blocking and asyncio services send the same
``Call`` objects from ``_process_calls`` and read event streams with the same
``ProcessEventReader``; only ``await`` differs. ``run_stream`` and ``attach`` return a
``ProcessEventStream`` in the blocking client (``for``, and ``async for`` with each read in
a worker thread) and async iterators in the asyncio one; both send
their request when iteration starts, yield ``ProcessEvent`` s (``start``, ``stdout``,
``stderr``, then ``exit`` or ``error``) and stop after the last one. Leaving the loop
early closes the connection, and the process keeps running (``attach`` follows it again).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator

from .._event_stream import ProcessEventStream
from .._http import AsyncHTTP, Call, SyncHTTP
from .._raw_stdout import AsyncRawStdout, RawStdout
from .._sse import ProcessEventReader
from ..models import CommandResult, ProcessEvent, ProcessInfo, RunCommandOptions
from . import _process_calls as calls

# Alias, because inside the classes the name ``list`` is the ``list`` method.
ProcessInfoList = list[ProcessInfo]


def _what(sandbox_id: str, cmd: str | None = None, pid: int | None = None) -> str:
    return f"{cmd!r} in sandbox {sandbox_id}" if cmd else f"process {pid} of sandbox {sandbox_id}"


def _events(http: SyncHTTP, call: Call[None], what: str) -> Generator[ProcessEvent, None, None]:
    reader = ProcessEventReader(what)
    with http.stream(call) as response:
        reader.check(response.headers.get("Content-Type", ""), what)
        for chunk in response.iter_bytes():
            yield from reader.feed(chunk)
            if reader.done:
                return
        yield from reader.close()
    reader.finish()


async def _aevents(http: AsyncHTTP, call: Call[None], what: str) -> AsyncIterator[ProcessEvent]:
    reader = ProcessEventReader(what)
    async with http.stream(call) as response:
        reader.check(response.headers.get("Content-Type", ""), what)
        async for chunk in response.aiter_bytes():
            for event in reader.feed(chunk):
                yield event
            if reader.done:
                return
        for event in reader.close():
            yield event
    reader.finish()


class ProcessService:
    """Processes in a sandbox, blocking. Reached as ``client.process``."""

    def __init__(self, http: SyncHTTP) -> None:
        self._http = http

    def run(
        self, sandbox_id: str, cmd: str, options: RunCommandOptions | None = None
    ) -> CommandResult:
        """Run ``cmd`` (looked up in ``PATH``, no shell) with ``options`` and wait for it.

        A non-zero exit is a result, not an error (127: not found). Past the timeout
        (``options.timeout``, else ``exec_timeout``) raises ``ProcessTimeoutError``
        carrying ``pid``, ``exit_code``, ``stdout`` and ``stderr``.
        """
        default = self._http.config.exec_timeout
        return self._http.call(calls.run(sandbox_id, cmd, options, default))

    def exec(self, sandbox_id: str, cmd: str, *args: str) -> str:
        """Run ``cmd args...`` and return its stdout; ``CommandExitError`` if it exits non-zero."""
        result = self.run(sandbox_id, cmd, RunCommandOptions(args=list(args)))
        return calls.stdout_or_raise(result, cmd, args)

    def shell(
        self,
        sandbox_id: str,
        script: str,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        timeout: float | None = None,
    ) -> CommandResult:
        """Run ``script`` with ``/bin/sh -c``; as ``run`` otherwise."""
        return self.run(sandbox_id, "/bin/sh", calls.shell_options(script, env, cwd, timeout))

    def run_stream(
        self, sandbox_id: str, cmd: str, options: RunCommandOptions | None = None
    ) -> ProcessEventStream:
        """Run ``cmd`` and yield its events as they happen (see the module docstring).

        Iterate with ``for`` or ``async for``; ``close()`` (``aclose()``) when leaving early.
        """
        call = calls.run_stream(sandbox_id, cmd, options, self._http.config.exec_timeout)
        return ProcessEventStream(_events(self._http, call, _what(sandbox_id, cmd)))

    def stream_stdout(
        self, sandbox_id: str, cmd: str, options: RunCommandOptions | None = None
    ) -> RawStdout:
        """Run ``cmd`` and read its stdout as raw ``bytes`` chunks, exactly as written.

        The fast path for bulk or binary output: no event framing, no text decoding.
        Use ``with ... as out: for chunk in out:``; then ``out.exit_code`` and
        ``out.timed_out``. Stderr is kept in the process's events (``attach(sb, out.pid)``).
        The process belongs to the stream: leaving the block early kills it. A command
        that cannot start raises ``WorkspaceError`` code 1001 on entry.
        """
        call = calls.raw_stdout(sandbox_id, cmd, options, self._http.config.exec_timeout)
        return RawStdout(self._http, call, calls.list_all(sandbox_id))

    def attach(
        self, sandbox_id: str, pid: int, after: int | str | None = None
    ) -> ProcessEventStream:
        """Replay the kept output of ``pid`` (after event id ``after``), then follow it.

        Iterate with ``for`` or ``async for``, as ``run_stream``.
        """
        call = calls.output(sandbox_id, pid, after, self._http.config.exec_timeout)
        return ProcessEventStream(_events(self._http, call, _what(sandbox_id, pid=pid)))

    def kill(self, sandbox_id: str, pid: int, signal: int = 15) -> None:
        """Send ``signal`` (default SIGTERM) to the process group of ``pid``."""
        self._http.call(calls.signal(sandbox_id, pid, signal))

    def list(self, sandbox_id: str) -> ProcessInfoList:
        """Running and recently ended processes of the sandbox."""
        return self._http.call(calls.list_all(sandbox_id))

    def send_stdin(self, sandbox_id: str, pid: int, data: str | bytes, eof: bool = False) -> None:
        """Write to the stdin of ``pid`` (started with ``stdin=True``); ``eof`` then closes it."""
        self._http.call(calls.stdin(sandbox_id, pid, eof), calls.stdin_bytes(data))


class AsyncProcessService:
    """Processes in a sandbox, asyncio. Same methods as ``ProcessService``."""

    def __init__(self, http: AsyncHTTP) -> None:
        self._http = http

    async def run(
        self, sandbox_id: str, cmd: str, options: RunCommandOptions | None = None
    ) -> CommandResult:
        """See ``ProcessService.run``."""
        default = self._http.config.exec_timeout
        return await self._http.call(calls.run(sandbox_id, cmd, options, default))

    async def exec(self, sandbox_id: str, cmd: str, *args: str) -> str:
        """See ``ProcessService.exec``."""
        result = await self.run(sandbox_id, cmd, RunCommandOptions(args=list(args)))
        return calls.stdout_or_raise(result, cmd, args)

    async def shell(
        self,
        sandbox_id: str,
        script: str,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        timeout: float | None = None,
    ) -> CommandResult:
        """See ``ProcessService.shell``."""
        options = calls.shell_options(script, env, cwd, timeout)
        return await self.run(sandbox_id, "/bin/sh", options)

    def run_stream(
        self, sandbox_id: str, cmd: str, options: RunCommandOptions | None = None
    ) -> AsyncIterator[ProcessEvent]:
        """See ``ProcessService.run_stream``; use with ``async for``."""
        call = calls.run_stream(sandbox_id, cmd, options, self._http.config.exec_timeout)
        return _aevents(self._http, call, _what(sandbox_id, cmd))

    def stream_stdout(
        self, sandbox_id: str, cmd: str, options: RunCommandOptions | None = None
    ) -> AsyncRawStdout:
        """See ``ProcessService.stream_stdout``; use with ``async with`` and ``async for``."""
        call = calls.raw_stdout(sandbox_id, cmd, options, self._http.config.exec_timeout)
        return AsyncRawStdout(self._http, call, calls.list_all(sandbox_id))

    def attach(
        self, sandbox_id: str, pid: int, after: int | str | None = None
    ) -> AsyncIterator[ProcessEvent]:
        """See ``ProcessService.attach``; use with ``async for``."""
        call = calls.output(sandbox_id, pid, after, self._http.config.exec_timeout)
        return _aevents(self._http, call, _what(sandbox_id, pid=pid))

    async def kill(self, sandbox_id: str, pid: int, signal: int = 15) -> None:
        """See ``ProcessService.kill``."""
        await self._http.call(calls.signal(sandbox_id, pid, signal))

    async def list(self, sandbox_id: str) -> ProcessInfoList:
        """See ``ProcessService.list``."""
        return await self._http.call(calls.list_all(sandbox_id))

    async def send_stdin(
        self, sandbox_id: str, pid: int, data: str | bytes, eof: bool = False
    ) -> None:
        """See ``ProcessService.send_stdin``."""
        await self._http.call(calls.stdin(sandbox_id, pid, eof), calls.stdin_bytes(data))
