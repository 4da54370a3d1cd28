"""``stream_stdout``: raw stdout bytes, the pid header, the exit code read back after the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import Recorder, body_json, error_reply, make_client

from workspace_sdk import RunCommandOptions, WorkspaceError

P = "/v1/sandboxes/sb1/processes"
DATA = bytes(range(256)) * 3  # every byte value: NULs, invalid UTF-8, line breaks


def listing(pid: int, state: str = "exited", code: int | None = 3) -> dict[str, Any]:
    return {
        "processes": [
            {
                "pid": pid,
                "cmd": "sh",
                "args": [],
                "state": state,
                "exit_code": code,
                "timed_out": False,
                "started_at": "2026-01-01T00:00:00.000Z",
                "ended_at": None,
            }
        ]
    }


def server(kind: str, pid: str = "42", state: str = "exited") -> Recorder:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=listing(42, state))
        chunks = [DATA[i : i + 100] for i in range(0, len(DATA), 100)]
        content: Any = iter(chunks)
        if kind == "async":

            async def agen() -> AsyncIterator[bytes]:
                for chunk in chunks:
                    yield chunk

            content = agen()
        headers = {"Content-Type": "application/octet-stream", "x-pid": pid}
        return httpx.Response(200, headers=headers, content=content)

    return Recorder(handler)


def read(kind: str, handler: Any, cmd: str = "sh", options: Any = None) -> tuple[Any, bytes]:
    """Reads the whole raw output; returns the RawStdout (its exit fields set) and the bytes."""
    if kind == "sync":
        with make_client(kind, handler) as client:
            with client.process.stream_stdout("sb1", cmd, options) as out:
                data = b"".join(out)
            return out, data

    async def main() -> tuple[Any, bytes]:
        async with make_client(kind, handler) as client:
            async with client.process.stream_stdout("sb1", cmd, options) as out:
                data = b"".join([chunk async for chunk in out])
            return out, data

    return asyncio.run(main())


def test_bytes_pid_and_exit_code(kind: str) -> None:
    recorder = server(kind)
    opts = RunCommandOptions(args=["-c", "x"], stdin="in", timeout=5)
    out, data = read(kind, recorder, options=opts)
    assert data == DATA
    assert (out.pid, out.exit_code, out.timed_out) == (42, 3, False)
    post = recorder.requests[0]
    assert (post.method, post.url.path) == ("POST", P)
    assert post.headers["Accept"] == "application/octet-stream"
    assert body_json(post) == {"cmd": "sh", "args": ["-c", "x"], "stdin": "in", "timeout": 5}
    assert (recorder.last.method, recorder.last.url.path) == ("GET", P)


def test_refusal_raises_on_entry(kind: str) -> None:
    handler = Recorder(error_reply(1001, 400, "no-such: command not found"))
    with pytest.raises(WorkspaceError) as info:
        read(kind, handler, "no-such")
    assert (info.value.code, info.value.status) == (1001, 400)


def test_reply_without_pid_is_a_bad_response(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        read(kind, server(kind, pid=""))
    assert info.value.code == 9003


def test_process_not_listed_as_exited_is_a_bad_response(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        read(kind, server(kind, state="running"))
    assert info.value.code == 9003


def test_iterating_outside_the_block_is_refused() -> None:
    with make_client("sync", server("sync")) as client:
        out = client.process.stream_stdout("sb1", "sh")
        with pytest.raises(RuntimeError):
            list(out)
