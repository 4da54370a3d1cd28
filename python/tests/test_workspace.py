"""``client.workspace``: each method sends the route of docs/api.md and parses the reply."""

from __future__ import annotations

import io
from typing import Any

import pytest
from conftest import Recorder, body_json, error_reply, invoke, reply

from workspace_sdk import CreateWorkspaceParams, FileInfo, Workspace, errors

WS = {"id": "ws1", "name": "n", "metadata": {"a": "b"}, "nfs_url": None,
      "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
      "field_from_the_future": 1}  # fmt: skip
FI = {"name": "main.py", "path": "src/main.py", "type": "file", "size": 3,
      "modified_at": "2026-01-01T00:00:00.000Z", "mode": 420}  # fmt: skip
WORKSPACE = Workspace("ws1", WS["created_at"], WS["updated_at"], "n", None, {"a": "b"})
INFO = FileInfo("main.py", "src/main.py", "file", 3, FI["modified_at"])

# method, args, kwargs, canned (status, body), expected (method, path, query, json), result
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, Any], tuple[Any, ...], Any]] = [
    ("create", (CreateWorkspaceParams(name="n", metadata={"a": "b"}),), {}, (201, WS),
     ("POST", "/v1/workspaces", {}, {"name": "n", "metadata": {"a": "b"}}), WORKSPACE),
    ("create", (), {}, (201, WS), ("POST", "/v1/workspaces", {}, {}), WORKSPACE),
    ("get", ("ws1",), {}, (200, WS), ("GET", "/v1/workspaces/ws1", {}, None), WORKSPACE),
    ("get", ("a/../b",), {}, (200, WS), ("GET", "/v1/workspaces/a%2F..%2Fb", {}, None), WORKSPACE),
    ("list", (), {}, (200, {"workspaces": [WS, WS]}), ("GET", "/v1/workspaces", {}, None),
     [WORKSPACE, WORKSPACE]),
    ("delete", ("ws1",), {}, (204, None), ("DELETE", "/v1/workspaces/ws1", {}, None), None),
    ("list_files", ("ws1",), {}, (200, {"files": [FI]}),
     ("GET", "/v1/workspaces/ws1/files", {"path": ""}, None), [INFO]),
    ("list_files", ("ws1", "src"), {}, (200, {"files": []}),
     ("GET", "/v1/workspaces/ws1/files", {"path": "src"}, None), []),
    ("mkdir", ("ws1", "src/c"), {}, (201, FI),
     ("POST", "/v1/workspaces/ws1/files/mkdir", {}, {"path": "src/c", "parents": True}), INFO),
    ("mkdir", ("ws1", "src/c"), {"parents": False}, (201, FI),
     ("POST", "/v1/workspaces/ws1/files/mkdir", {}, {"path": "src/c", "parents": False}), INFO),
    ("copy_file", ("ws1", "a", "b"), {}, (201, FI),
     ("POST", "/v1/workspaces/ws1/files/copy", {},
      {"source": "a", "destination": "b", "overwrite": False}), INFO),
    ("move_file", ("ws1", "a", "b"), {"overwrite": True}, (200, FI),
     ("POST", "/v1/workspaces/ws1/files/move", {},
      {"source": "a", "destination": "b", "overwrite": True}), INFO),
    ("delete_file", ("ws1", "a"), {}, (204, None),
     ("DELETE", "/v1/workspaces/ws1/files", {"path": "a", "recursive": "false"}, None), None),
    ("delete_file", ("ws1", "d"), {"recursive": True}, (204, None),
     ("DELETE", "/v1/workspaces/ws1/files", {"path": "d", "recursive": "true"}, None), None),
    ("get_file_info", ("ws1", "src/main.py"), {}, (200, FI),
     ("GET", "/v1/workspaces/ws1/files/info", {"path": "src/main.py"}, None), INFO),
    ("exists", ("ws1", "src/main.py"), {}, (200, FI),
     ("GET", "/v1/workspaces/ws1/files/info", {"path": "src/main.py"}, None), True),
    ("read_file", ("ws1", "a b/ü&x=1?.txt"), {}, (200, "héllo\n".encode()),
     ("GET", "/v1/workspaces/ws1/files/content", {"path": "a b/ü&x=1?.txt"}, None), "héllo\n"),
    ("read_file_bytes", ("ws1", "bin"), {}, (200, bytes(range(256))),
     ("GET", "/v1/workspaces/ws1/files/content", {"path": "bin"}, None), bytes(range(256))),
    ("write_file", ("ws1", "src/main.py", "héllo"), {}, (201, FI),
     ("PUT", "/v1/workspaces/ws1/files/content", {"path": "src/main.py", "parents": "true"},
      None), INFO),
    ("write_file", ("ws1", "x", b"\x00\xff"), {"parents": False}, (201, FI),
     ("PUT", "/v1/workspaces/ws1/files/content", {"path": "x", "parents": "false"}, None), INFO),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "canned", "expected", "result"),
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
def test_request_and_reply(
    kind: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    canned: tuple[int, Any],
    expected: tuple[Any, ...],
    result: Any,
) -> None:
    recorder = Recorder(reply(*canned))
    assert invoke(kind, recorder, method, *args, **kwargs) == result
    request = recorder.last
    verb, path, query, body = expected
    assert (request.method, request.url.raw_path.split(b"?")[0].decode()) == (verb, path)
    assert dict(request.url.params) == query
    if body is not None:
        assert body_json(request) == body
    assert len(recorder.requests) == 1


def test_write_file_sends_utf8_text_and_raw_bytes(kind: str) -> None:
    recorder = Recorder(reply(201, FI))
    invoke(kind, recorder, "write_file", "ws1", "t", "héllo ✓")
    assert recorder.last.content == "héllo ✓".encode()
    invoke(kind, recorder, "write_file", "ws1", "b", bytes(range(256)))
    assert recorder.last.content == bytes(range(256))


@pytest.mark.parametrize(
    "make_content",
    [
        lambda: io.BytesIO(b"abc" * 100_000),
        lambda: iter([b"abc" * 50_000, bytearray(b"abc" * 50_000)]),
        lambda: [memoryview(b"abc" * 100_000)],
    ],
    ids=["file-object", "iterator", "list-of-chunks"],
)
def test_write_file_streams(kind: str, make_content: Any) -> None:
    recorder = Recorder(reply(201, FI))
    invoke(kind, recorder, "write_file", "ws1", "big", make_content())
    assert recorder.last.content == b"abc" * 100_000
    assert "Content-Length" not in recorder.last.headers  # streamed, not buffered


def test_async_write_file_takes_an_async_iterator() -> None:
    async def chunks() -> Any:
        for part in (b"one,", b"two"):
            yield part

    recorder = Recorder(reply(201, FI))
    invoke("async", recorder, "write_file", "ws1", "x", chunks())
    assert recorder.last.content == b"one,two"


def test_async_write_file_awaits_an_async_file_object() -> None:
    class AsyncFile:  # the shape of aiofiles' binary file objects
        def __init__(self, data: bytes) -> None:
            self._file = io.BytesIO(data)

        async def read(self, size: int = -1) -> bytes:
            return self._file.read(size)

        async def tell(self) -> int:
            return self._file.tell()

    recorder = Recorder(reply(201, FI))
    invoke("async", recorder, "write_file", "ws1", "x", AsyncFile(b"z" * 600_000))
    assert recorder.last.content == b"z" * 600_000


def test_write_file_rejects_text_chunks(kind: str) -> None:
    with pytest.raises(TypeError, match="binary mode"):
        invoke(kind, reply(201, FI), "write_file", "ws1", "x", io.StringIO("text"))


def test_exists_is_false_only_for_file_not_found(kind: str) -> None:
    assert invoke(kind, error_reply(5001, 404), "exists", "ws1", "gone") is False
    with pytest.raises(errors.WorkspaceNotFoundError):
        invoke(kind, error_reply(7001, 404), "exists", "nope", "a")
    with pytest.raises(errors.PermissionDeniedError):
        invoke(kind, error_reply(5006, 403), "exists", "ws1", "../x")


def test_read_file_is_strict_utf8(kind: str) -> None:
    with pytest.raises(UnicodeDecodeError):
        invoke(kind, reply(200, b"\xff\xfe"), "read_file", "ws1", "bin")


def test_file_operations_use_the_file_timeout(kind: str) -> None:
    recorder = Recorder(reply(200, FI))
    options = {"timeout": 3.0, "file_timeout": 9.0}
    invoke(kind, recorder, "get_file_info", "ws1", "a", client_options=options)
    assert recorder.last.extensions["timeout"]["read"] == 9.0
    recorder = Recorder(reply(200, WS))
    invoke(kind, recorder, "get", "ws1", client_options=options)
    assert recorder.last.extensions["timeout"]["read"] == 3.0


@pytest.mark.parametrize("bad", ["", None])
def test_workspace_id_must_be_given(kind: str, bad: Any) -> None:
    with pytest.raises(ValueError, match="workspace id"):
        invoke(kind, reply(200, WS), "get", bad)


def test_unknown_fields_are_ignored_and_nulls_kept() -> None:
    recorder = Recorder(reply(201, {**WS, "name": None, "metadata": None, "nfs_url": "nfs://h/x"}))
    workspace = invoke("sync", recorder, "create")
    assert (workspace.name, workspace.metadata, workspace.nfs_url) == (None, None, "nfs://h/x")
