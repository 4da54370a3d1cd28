"""Error mapping: every code of the protocol table, non-JSON bodies, network failures."""

from __future__ import annotations

import pickle
import socket

import httpx
import pytest
from conftest import error_reply, invoke, reply

from workspace_sdk import WorkspaceClient, errors
from workspace_sdk.errors import WorkspaceError, error_class_for_code

# (code, HTTP status, class): packages/protocol/src/errors.ts, row by row.
TABLE: list[tuple[int, int, type[WorkspaceError]]] = [
    (1000, 500, WorkspaceError),
    (1001, 400, WorkspaceError),
    (1002, 401, WorkspaceError),
    (1003, 403, WorkspaceError),
    (1004, 413, WorkspaceError),
    (1005, 429, WorkspaceError),
    (1006, 503, WorkspaceError),
    (1007, 404, WorkspaceError),
    (2001, 404, errors.SandboxNotFoundError),
    (2002, 409, WorkspaceError),
    (2003, 404, errors.TemplateNotFoundError),
    (2004, 429, WorkspaceError),
    (2005, 502, WorkspaceError),
    (2006, 409, WorkspaceError),
    (3001, 404, WorkspaceError),
    (3002, 408, errors.ProcessTimeoutError),
    (3003, 503, errors.AgentNotConnectedError),
    (4001, 404, errors.PtyNotFoundError),
    (5001, 404, errors.FileNotFoundError),
    (5002, 403, errors.PermissionDeniedError),
    (5003, 409, WorkspaceError),
    (5004, 409, WorkspaceError),
    (5005, 409, WorkspaceError),
    (5006, 403, errors.PermissionDeniedError),
    (5007, 507, WorkspaceError),
    (6001, 401, WorkspaceError),
    (6002, 410, WorkspaceError),
    (7001, 404, errors.WorkspaceNotFoundError),
    (7002, 409, WorkspaceError),
    (8123, 418, WorkspaceError),  # a code from a newer server
]


@pytest.mark.parametrize(("code", "status", "cls"), TABLE, ids=[str(row[0]) for row in TABLE])
def test_code_maps_to_class(kind: str, code: int, status: int, cls: type[WorkspaceError]) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, error_reply(code, status, f"message {code}"), "get", "ws1")
    error = info.value
    assert type(error) is cls
    assert (error.code, error.message, error.status) == (code, f"message {code}", status)
    assert error.details == {"x": 1}
    assert str(error) == f"[{code}] message {code}"


def test_error_class_for_code() -> None:
    assert error_class_for_code(5006) is errors.PermissionDeniedError
    assert error_class_for_code(42) is WorkspaceError


def test_non_json_error_body_keeps_the_status(kind: str) -> None:
    handler = reply(502, b"<html>Bad Gateway</html>")
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, handler, "list")
    assert type(info.value) is WorkspaceError
    assert info.value.status == 502 and info.value.code == 1000
    assert "502" in info.value.message and "Bad Gateway" in info.value.message


def test_non_json_404_gets_the_generic_not_found_code(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, reply(404, b""), "get", "ws1")
    assert (info.value.code, info.value.status) == (1007, 404) and info.value.message


def test_error_with_empty_message_still_has_one(kind: str) -> None:
    with pytest.raises(errors.FileNotFoundError) as info:
        invoke(kind, error_reply(5001, 404, ""), "get_file_info", "ws1", "x")
    assert info.value.message


def test_error_while_streaming_a_download(kind: str) -> None:
    with pytest.raises(errors.PermissionDeniedError) as info:
        invoke(kind, error_reply(5006, 403), "read_file", "ws1", "../../etc/passwd")
    assert info.value.status == 403


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ConnectError("refused"), errors.CLIENT_NETWORK_ERROR),
        (httpx.RemoteProtocolError("peer closed"), errors.CLIENT_NETWORK_ERROR),
        (httpx.ReadTimeout("slow"), errors.CLIENT_TIMEOUT),
        (httpx.ConnectTimeout("slow"), errors.CLIENT_TIMEOUT),
    ],
)
def test_transport_failures_become_workspace_errors(
    kind: str, exc: httpx.TransportError, code: int
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    for method, args in [("list", ()), ("read_file", ("ws1", "a"))]:
        with pytest.raises(WorkspaceError) as info:
            invoke(kind, handler, method, *args)
        assert info.value.code == code and info.value.status is None
        assert "/v1/workspaces" in info.value.message
        assert info.value.__cause__ is exc


def test_real_connection_refused() -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = WorkspaceClient(f"http://127.0.0.1:{port}", timeout=5)
    with client, pytest.raises(WorkspaceError) as info:
        client.workspace.list()
    assert info.value.code == errors.CLIENT_NETWORK_ERROR
    assert f"127.0.0.1:{port}" in info.value.message


def test_success_with_non_json_body(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, reply(200, b"not json"), "list")
    assert info.value.code == errors.CLIENT_BAD_RESPONSE and info.value.status == 200


def test_success_with_wrong_shape(kind: str) -> None:
    with pytest.raises(WorkspaceError, match="workspaces") as info:
        invoke(kind, reply(200, {"items": []}), "list")
    assert info.value.code == errors.CLIENT_BAD_RESPONSE
    with pytest.raises(WorkspaceError, match="created_at"):
        invoke(kind, reply(201, {"id": "w"}), "create")


def test_errors_pickle() -> None:
    error = errors.FileNotFoundError(5001, "gone", {"path": "a"}, 404)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.FileNotFoundError
    assert (copy.code, copy.message, copy.status) == (5001, "gone", 404)
    assert copy.details == {"path": "a"}
