"""``run_stream`` and ``attach``: SSE over httpx streaming, sync iterators and async generators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import Recorder, body_json, error_reply, invoke, make_client

from workspace_sdk import ProcessEvent, RunCommandOptions, SandboxNotFoundError, WorkspaceError

P = "/v1/sandboxes/sb1/processes"
SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8"}
STREAM = (
    b": hello\n\n"
    b'id: 1\nevent: start\ndata: {"pid": 42}\n\n'
    b'id: 2\nevent: stdout\ndata: {"data": "out1\\n"}\n\n'
    b'id: 3\r\nevent: stderr\r\ndata: {"data": "err1\\n"}\r\n\r\n'
    b'id: 4\nevent: stdout\ndata: {"data": "\xc3\xa9\\n", "dropped": 5}\n\n'
    b'id: 5\nevent: exit\ndata: {"code": 7, "timed_out": false}\n\n'
)
EVENTS = [
    ProcessEvent("start", pid=42, id="1"),
    ProcessEvent("stdout", "out1\n", id="2"),
    ProcessEvent("stderr", "err1\n", id="3"),
    ProcessEvent("stdout", "é\n", dropped=5, id="4"),
    ProcessEvent("exit", code=7, id="5"),
]


def sse(kind: str, body: bytes, headers: dict[str, str] | None = None) -> Recorder:
    """Answer with ``body`` in 7-byte chunks (split lines, CRLFs and UTF-8 sequences)."""

    def handler(request: httpx.Request) -> httpx.Response:
        chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
        content: Any = iter(chunks)
        if kind == "async":

            async def agen() -> AsyncIterator[bytes]:
                for chunk in chunks:
                    yield chunk

            content = agen()
        return httpx.Response(200, headers=headers or SSE_HEADERS, content=content)

    return Recorder(handler)


def test_run_stream_events(kind: str) -> None:
    recorder = sse(kind, STREAM)
    opts = RunCommandOptions(args=["-c", "x"], env={"A": "1"})
    events = invoke(kind, recorder, "run_stream", "sb1", "sh", opts, service="process")
    assert events == EVENTS
    request = recorder.last
    assert (request.method, request.url.path) == ("POST", P)
    assert request.headers["Accept"] == "text/event-stream"
    assert body_json(request) == {"cmd": "sh", "args": ["-c", "x"], "env": {"A": "1"}}


def test_run_stream_stops_at_exit_and_error(kind: str) -> None:
    late = b'event: stdout\ndata: {"data": "late"}\n\n'
    events = invoke(kind, sse(kind, STREAM + late), "run_stream", "sb1", "sh", service="process")
    assert events == EVENTS
    error = b'event: start\ndata: {"pid": 1}\n\nevent: error\ndata: {"message": "agent lost"}\n\n'
    events = invoke(kind, sse(kind, error + late), "run_stream", "sb1", "sh", service="process")
    assert events[-1] == ProcessEvent("error", message="agent lost")


def test_run_stream_that_breaks_off_raises(kind: str) -> None:
    cut = STREAM[: STREAM.index(b"id: 4")]
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, sse(kind, cut), "run_stream", "sb1", "sh", service="process")
    assert info.value.code == 9001
    assert info.value.details == {"pid": 42, "last_event_id": "3"}


def test_run_stream_error_statuses(kind: str) -> None:
    with pytest.raises(SandboxNotFoundError):
        invoke(kind, error_reply(2001, 404), "run_stream", "sb1", "sh", service="process")
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, error_reply(2002, 409), "attach", "sb1", 4, service="process")
    assert (info.value.code, info.value.status) == (2002, 409)
    json_reply = sse(kind, b"{}", headers={"Content-Type": "application/json"})
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, json_reply, "run_stream", "sb1", "sh", service="process")
    assert info.value.code == 9003 and "application/json" in info.value.message


def test_run_stream_timeouts(kind: str) -> None:
    options = {"exec_timeout": 100}
    recorder = sse(kind, STREAM)
    invoke(kind, recorder, "run_stream", "sb1", "sh", service="process", client_options=options)
    assert recorder.last.extensions["timeout"]["read"] == 100
    assert "timeout" not in body_json(recorder.last)  # a stream may run for ever
    opts = RunCommandOptions(timeout=2)
    invoke(kind, recorder, "run_stream", "sb1", "sh", opts, service="process")
    assert recorder.last.extensions["timeout"]["read"] == 32
    assert body_json(recorder.last)["timeout"] == 2


def test_attach(kind: str) -> None:
    recorder = sse(kind, STREAM)
    assert invoke(kind, recorder, "attach", "sb1", 42, service="process") == EVENTS
    request = recorder.last
    assert (request.method, request.url.path, dict(request.url.params)) == (
        "GET", f"{P}/42/output", {})  # fmt: skip
    assert request.headers["Accept"] == "text/event-stream"
    invoke(kind, recorder, "attach", "sb1", 42, after=3, service="process")
    assert dict(recorder.last.url.params) == {"after": "3"}
    invoke(kind, recorder, "attach", "sb1", 42, "17", service="process")
    assert dict(recorder.last.url.params) == {"after": "17"}


def endless(kind: str) -> Recorder:
    """A process that prints for ever: the client must be able to stop reading."""
    line = b'event: stdout\ndata: {"data": "y\\n"}\n\n'

    def forever() -> Iterator[bytes]:
        while True:
            yield line

    async def aforever() -> AsyncIterator[bytes]:
        while True:
            yield line

    def handler(request: httpx.Request) -> httpx.Response:
        content = aforever() if kind == "async" else forever()
        return httpx.Response(200, headers=SSE_HEADERS, content=content)

    return Recorder(handler)


def test_sync_stream_is_lazy_and_can_stop_early() -> None:
    recorder = endless("sync")
    with make_client("sync", recorder) as client:
        stream = client.process.run_stream("sb1", "yes")
        assert recorder.requests == []  # nothing is sent until iteration starts
        taken = []
        for event in stream:
            taken.append(event)
            if len(taken) == 3:
                break
        assert [e.data for e in taken] == ["y\n"] * 3
        stream.close()
        assert len(recorder.requests) == 1
        assert client.process.list  # the client is still usable


def test_async_stream_is_an_async_generator_and_can_stop_early() -> None:
    recorder = endless("async")

    async def main() -> list[ProcessEvent]:
        async with make_client("async", recorder) as client:
            stream = client.process.run_stream("sb1", "yes")
            assert hasattr(stream, "__anext__") and not hasattr(stream, "__next__")
            taken = []
            async for event in stream:
                taken.append(event)
                if len(taken) == 2:
                    break
            await stream.aclose()  # type: ignore[attr-defined]
            return taken

    assert [e.type for e in asyncio.run(main())] == ["stdout", "stdout"]
    assert len(recorder.requests) == 1


def broken(kind: str) -> Recorder:
    """One event, then the connection drops."""
    first = b'event: start\ndata: {"pid": 9}\n\n'

    def chunks() -> Iterator[bytes]:
        yield first
        raise httpx.ReadError("connection reset")

    async def achunks() -> AsyncIterator[bytes]:
        yield first
        raise httpx.ReadError("connection reset")

    def handler(request: httpx.Request) -> httpx.Response:
        content = achunks() if kind == "async" else chunks()
        return httpx.Response(200, headers=SSE_HEADERS, content=content)

    return Recorder(handler)


def test_connection_lost_mid_stream_is_a_network_error(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, broken(kind), "attach", "sb1", 9, service="process")
    assert info.value.code == 9001 and "ReadError" in info.value.message
    assert isinstance(info.value.__cause__, httpx.ReadError)
