"""The blocking client's ``run_stream`` with ``async for``: same events, loop kept free, closing.

Most of these use the real server of ``sse_server.py``: whether the event loop stays free
while a read waits, and whether the connection really closes, only show on a real socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from conftest import make_client
from sse_server import GUARD, Server, serving
from test_process_stream import EVENTS, STREAM, sse

from workspace_sdk import ProcessEvent, ProcessEventStream, WorkspaceClient


@pytest.fixture
def finite() -> Iterator[Server]:
    with serving(finite=True) as server:
        yield server


@pytest.fixture
def endless() -> Iterator[Server]:
    with serving(finite=False) as server:
        yield server


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
        with WorkspaceClient(finite.url) as client:
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
        with WorkspaceClient(endless.url) as client:
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
        with WorkspaceClient(endless.url) as client:
            async for event in client.process.run_stream("sb1", "yes"):
                if event.type == "stdout":
                    break
            assert endless.gone.wait(GUARD)  # while the client is still open

    asyncio.run(main())


def test_async_with_closes_and_for_with_close_too(endless: Server) -> None:
    endless.gate.set()

    async def main() -> None:
        with WorkspaceClient(endless.url) as client:
            async with client.process.run_stream("sb1", "yes") as stream:
                assert (await stream.__anext__()).type == "start"
            assert endless.gone.wait(GUARD)

    asyncio.run(main())
    endless.gone.clear()
    with WorkspaceClient(endless.url) as client, client.process.run_stream("sb1", "yes") as stream:
        assert next(stream).type == "start"
    assert endless.gone.wait(GUARD)


def test_a_cancelled_read_keeps_its_event(endless: Server) -> None:
    async def main() -> list[str]:
        with WorkspaceClient(endless.url) as client:
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
        with WorkspaceClient(endless.url) as client:
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
