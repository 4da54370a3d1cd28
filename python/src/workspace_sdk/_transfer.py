"""Upload bodies and download targets, with the client-side transfer cap.

Why here: file content may be a ``str``, bytes, a binary file object or an
iterator of chunks, and must never be held whole in memory when it is a stream.
Each shape becomes either ``bytes`` (checked against the cap before sending) or a
chunk iterator that counts as it is read and raises code 1004 the moment the cap
is passed. Downloads to a local path go to a temporary file beside the target and
are renamed into place only when complete, so a failed or oversized download
leaves the target untouched.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, TypeVar

from ._http import too_large

T = TypeVar("T")
CHUNK_SIZE = 256 * 1024

UploadContent = str | bytes | bytearray | memoryview | IO[bytes] | Iterable[bytes]
"""What ``write_file`` accepts: text (sent as UTF-8), bytes, a binary file object, or chunks."""

AsyncUploadContent = UploadContent | AsyncIterable[bytes]
"""What the async ``write_file`` accepts: also an async iterator of chunks."""

LocalPath = str | os.PathLike[str]


async def _in_thread(func: Callable[..., T], *args: Any) -> T:
    """``asyncio.to_thread``, with asyncio imported on first use, not with the SDK.

    Why: asyncio imports ``concurrent.futures``, and a file named ``concurrent.py`` beside a
    caller's script shadows that package; the blocking client must still import cleanly there.
    """
    import asyncio

    return await asyncio.to_thread(func, *args)


def _as_bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(
        f"upload chunks must be bytes, got {type(chunk).__name__} "
        "(open files in binary mode, or pass a str as the whole content)"
    )


def _whole(content: object, limit: int) -> bytes | None:
    """The content as bytes when it is given whole, checked against the cap; else None."""
    if isinstance(content, str):
        data = content.encode("utf-8")
    elif isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
    else:
        return None
    if len(data) > limit:
        raise too_large(limit, f"the upload ({len(data)} bytes)")
    return data


def _check_remaining_size(file: Any, limit: int) -> None:
    """Refuse a regular file that is already over the cap before a byte is sent."""
    try:
        remaining = os.fstat(file.fileno()).st_size - file.tell()
    except (AttributeError, OSError, ValueError):
        return  # not a regular file (pipe, BytesIO without fileno): counted as it is read
    if remaining > limit:
        raise too_large(limit, f"the upload ({remaining} bytes)")


def _capped(chunks: Iterable[object], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        data = _as_bytes(chunk)
        total += len(data)
        if total > limit:
            raise too_large(limit, "the upload")
        if data:
            yield data


def _read_chunks(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(CHUNK_SIZE):
        yield chunk


def sync_body(content: UploadContent, limit: int) -> bytes | Iterator[bytes]:
    """Request body for the blocking client."""
    whole = _whole(content, limit)
    if whole is not None:
        return whole
    if hasattr(content, "read"):
        _check_remaining_size(content, limit)
        return _capped(_read_chunks(content), limit)  # type: ignore[arg-type]
    if isinstance(content, Iterable):
        return _capped(content, limit)
    raise TypeError(f"cannot upload a {type(content).__name__}")


async def _acapped(chunks: AsyncIterable[object], limit: int) -> AsyncIterator[bytes]:
    total = 0
    async for chunk in chunks:
        data = _as_bytes(chunk)
        total += len(data)
        if total > limit:
            raise too_large(limit, "the upload")
        if data:
            yield data


async def _aread_chunks(file: Any) -> AsyncIterator[bytes]:
    """Chunks of a file object: an async ``read`` is awaited, a blocking one runs in a thread."""
    is_async = inspect.iscoroutinefunction(file.read)
    while True:
        chunk = await file.read(CHUNK_SIZE) if is_async else await _in_thread(file.read, CHUNK_SIZE)
        if not chunk:
            return
        yield chunk


async def _aiter_sync(chunks: Iterable[object]) -> AsyncIterator[object]:
    for chunk in chunks:
        yield chunk


def async_body(content: AsyncUploadContent, limit: int) -> bytes | AsyncIterator[bytes]:
    """Request body for the asyncio client."""
    whole = _whole(content, limit)
    if whole is not None:
        return whole
    if hasattr(content, "read"):
        if not inspect.iscoroutinefunction(content.read):  # an async file's tell() is async too
            _check_remaining_size(content, limit)
        return _acapped(_aread_chunks(content), limit)
    if isinstance(content, AsyncIterable):
        return _acapped(content, limit)
    if isinstance(content, Iterable):
        return _acapped(_aiter_sync(content), limit)
    raise TypeError(f"cannot upload a {type(content).__name__}")


def open_for_upload(local_path: LocalPath, limit: int) -> BinaryIO:
    """Open a local file to upload, refusing it up front when it is over the cap."""
    file = open(local_path, "rb")  # noqa: SIM115 - the caller closes it
    try:
        _check_remaining_size(file, limit)
    except BaseException:
        file.close()
        raise
    return file


class _TempTarget:
    """A temporary file beside ``target``, renamed onto it by ``commit``."""

    def __init__(self, target: LocalPath) -> None:
        self.target = Path(target)
        fd, name = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".part", dir=self.target.parent
        )
        self.temp = Path(name)
        self.file = os.fdopen(fd, "wb")

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        # mkstemp makes 0600 files; give the result the mode a plain open() would
        mode = self.target.stat().st_mode & 0o7777 if self.target.exists() else 0o644
        os.chmod(self.temp, mode)
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(OSError):
            self.temp.unlink()


def download_to_path(
    download: Callable[[Callable[[bytes], object]], int], target: LocalPath
) -> int:
    """Run ``download(sink)`` into a temp file and rename it onto ``target``; return the size."""
    temp = _TempTarget(target)
    try:
        size = download(temp.file.write)
        temp.commit()
    except BaseException:
        temp.discard()
        raise
    return size


async def adownload_to_path(
    download: Callable[[Callable[[bytes], Awaitable[object]]], Awaitable[int]], target: LocalPath
) -> int:
    """Async ``download_to_path``: file-system calls run in a worker thread."""
    temp = await _in_thread(_TempTarget, target)

    async def sink(chunk: bytes) -> None:
        await _in_thread(temp.file.write, chunk)

    try:
        size = await download(sink)
        await _in_thread(temp.commit)
    except BaseException:
        temp.discard()  # quick and local; must also run when the task is being cancelled
        raise
    return size
