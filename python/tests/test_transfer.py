"""Transfers: the client-side size cap on uploads and downloads, and local-file helpers."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Recorder, error_reply, invoke, reply

from workspace_sdk import WorkspaceError

FI = {"name": "f", "path": "f", "type": "file", "size": 1}
CAP = {"max_file_transfer_bytes": 1000}


class CountingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body of ``count`` chunks that records how many were pulled."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk, self.count, self.pulled = chunk, count, 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield self.chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


def assert_too_large(info: pytest.ExceptionInfo[WorkspaceError]) -> None:
    assert info.value.code == 1004 and info.value.status is None
    assert "WM_MAX_FILE_TRANSFER_BYTES" in info.value.message


@pytest.mark.parametrize(
    "content", ["é" * 501, b"x" * 1001, bytearray(1001)], ids=["str", "bytes", "bytearray"]
)
def test_whole_upload_over_cap_is_refused_before_sending(kind: str, content: Any) -> None:
    recorder = Recorder(reply(201, FI))
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, recorder, "write_file", "ws1", "f", content, client_options=CAP)
    assert_too_large(info)
    assert recorder.requests == []


def test_upload_at_cap_is_sent(kind: str) -> None:
    recorder = Recorder(reply(201, FI))
    invoke(kind, recorder, "write_file", "ws1", "f", b"x" * 1000, client_options=CAP)
    assert len(recorder.last.content) == 1000


def test_streamed_upload_over_cap_stops_while_reading(kind: str) -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"x" * 300

    recorder = Recorder(reply(201, FI))
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, recorder, "write_file", "ws1", "f", chunks(), client_options=CAP)
    assert_too_large(info)
    assert len(pulled) == 4  # 1200 bytes read, then it stopped


def test_unsized_file_object_over_cap_is_counted(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(
            kind, reply(201, FI), "write_file", "ws1", "f", io.BytesIO(bytes(1001)),
            client_options=CAP,
        )  # fmt: skip
    assert_too_large(info)


def test_local_file_over_cap_is_refused_before_sending(kind: str, tmp_path: Path) -> None:
    local = tmp_path / "big"
    local.write_bytes(bytes(1001))
    recorder = Recorder(reply(201, FI))
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, recorder, "upload_file", "ws1", "f", local, client_options=CAP)
    assert_too_large(info)
    with local.open("rb") as file, pytest.raises(WorkspaceError) as info:
        invoke(kind, recorder, "write_file", "ws1", "f", file, client_options=CAP)
    assert_too_large(info)
    assert recorder.requests == []


def test_upload_file_streams_a_local_file(kind: str, tmp_path: Path) -> None:
    local = tmp_path / "data.bin"
    local.write_bytes(os.urandom(700_000))
    recorder = Recorder(reply(201, FI))
    invoke(kind, recorder, "upload_file", "ws1", "dir/data.bin", str(local), parents=False)
    assert recorder.last.content == local.read_bytes()
    assert dict(recorder.last.url.params) == {"path": "dir/data.bin", "parents": "false"}


def test_download_declared_over_cap_is_refused_unread(kind: str) -> None:
    stream = CountingStream(b"x" * 100, 20)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "2000"}, stream=stream)

    with pytest.raises(WorkspaceError) as info:
        invoke(kind, handler, "read_file_bytes", "ws1", "f", client_options=CAP)
    assert_too_large(info)
    assert stream.pulled == 0


def test_download_stops_reading_past_cap(kind: str) -> None:
    stream = CountingStream(b"x" * 300, 100)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream)  # chunked: no Content-Length

    with pytest.raises(WorkspaceError) as info:
        invoke(kind, handler, "read_file", "ws1", "f", client_options=CAP)
    assert_too_large(info)
    assert stream.pulled == 4


def test_download_at_cap_is_read(kind: str) -> None:
    data = invoke(kind, reply(200, b"y" * 1000), "read_file_bytes", "ws1", "f", client_options=CAP)
    assert data == b"y" * 1000


def test_download_file_writes_then_renames(kind: str, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    payload = os.urandom(600_000)
    assert invoke(kind, reply(200, payload), "download_file", "ws1", "f", target) == len(payload)
    assert target.read_bytes() == payload
    assert target.stat().st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ["out.bin"]


def test_download_file_keeps_mode_of_replaced_file(kind: str, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o600)
    invoke(kind, reply(200, b"new"), "download_file", "ws1", "f", str(target))
    assert target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("failure", ["cap", "error"])
def test_failed_download_leaves_target_untouched(kind: str, tmp_path: Path, failure: str) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    handler = reply(200, b"z" * 5000) if failure == "cap" else error_reply(5001, 404)
    with pytest.raises(WorkspaceError):
        invoke(kind, handler, "download_file", "ws1", "f", target, client_options=CAP)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]
