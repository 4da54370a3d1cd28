"""An async event stream abandoned mid-way closes quietly when asyncio shuts down.

Why the real server of ``sse_server.py``: with httpx.MockTransport closing a response never
suspends, so the out-of-order closing of nested async generators that asyncio's shutdown can
cause (logged as "athrow(): asynchronous generator is already running") does not show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sse_server import serving

from workspace_sdk import AsyncWorkspaceClient


@pytest.fixture
def url() -> Iterator[str]:
    with serving(finite=False) as server:
        server.gate.set()  # no stall: stdout lines follow the start at once
        yield server.url


@pytest.mark.parametrize("fail", [False, True])
def test_abandoned_stream_closes_quietly(
    url: str, fail: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with AsyncWorkspaceClient(url) as client:
            stream = client.process.run_stream("sb1", "yes")
            async for event in stream:
                if event.type == "stdout":
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
