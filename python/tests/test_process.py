"""``client.process``: routes, bodies, timeouts and errors of every method, sync and async."""

from __future__ import annotations

import pickle
import signal
from typing import Any

import httpx
import pytest
from conftest import Recorder, body_json, error_reply, invoke, reply

from workspace_sdk import (
    CommandExitError,
    CommandResult,
    ProcessInfo,
    ProcessTimeoutError,
    RunCommandOptions,
    WorkspaceError,
)

P = "/v1/sandboxes/sb1/processes"
RESULT = {"pid": 42, "exit_code": 0, "stdout": "Hello World\n", "stderr": "", "truncated": False}
INFO = {"pid": 42, "cmd": "sleep", "args": ["30"], "state": "exited", "exit_code": 0,
        "timed_out": False, "started_at": "t1", "ended_at": "t2", "extra": 1}  # fmt: skip

# method, args, kwargs, canned (status, body), expected (method, path, query, json), result
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, Any], tuple[Any, ...], Any]] = [
    ("run", ("sb1", "echo", RunCommandOptions(args=["Hello", "World"])), {}, (200, RESULT),
     ("POST", P, {}, {"cmd": "echo", "args": ["Hello", "World"], "timeout": 300.0}),
     CommandResult(0, "Hello World\n", "", 42, False)),
    ("run", ("sb1", "ls", RunCommandOptions(args=("-la",), env={"LC_ALL": "C"}, cwd="/workspace",
                                           timeout=30, stdin=True)), {}, (200, RESULT),
     ("POST", P, {}, {"cmd": "ls", "args": ["-la"], "env": {"LC_ALL": "C"}, "cwd": "/workspace",
                      "timeout": 30, "stdin": True}), CommandResult(0, "Hello World\n", "", 42)),
    ("run", ("sb1", "true"), {}, (200, {"exit_code": 0, "stdout": "", "stderr": ""}),
     ("POST", P, {}, {"cmd": "true", "timeout": 300.0}), CommandResult(0, "", "")),
    ("exec", ("sb1", "cat", "/etc/hostname"), {}, (200, RESULT),
     ("POST", P, {}, {"cmd": "cat", "args": ["/etc/hostname"], "timeout": 300.0}), "Hello World\n"),
    ("shell", ("sb1", "echo $A | tr a b"), {"env": {"A": "a"}, "cwd": "/tmp", "timeout": 5},
     (200, RESULT), ("POST", P, {}, {"cmd": "/bin/sh", "args": ["-c", "echo $A | tr a b"],
                                     "env": {"A": "a"}, "cwd": "/tmp", "timeout": 5}),
     CommandResult(0, "Hello World\n", "", 42)),
    ("kill", ("sb1", 42), {}, (204, None), ("POST", f"{P}/42/signal", {}, {"signal": 15}), None),
    ("kill", ("sb1", 42, signal.SIGKILL), {}, (204, None),
     ("POST", f"{P}/42/signal", {}, {"signal": 9}), None),
    ("list", ("sb1",), {}, (200, {"processes": [INFO]}), ("GET", P, {}, None),
     [ProcessInfo(42, "sleep", ["30"], "exited", "t1", 0, False, "t2")]),
    ("send_stdin", ("sb1", 42, "héllo\n"), {}, (204, None),
     ("POST", f"{P}/42/stdin", {"eof": "false"}, None), None),
    ("send_stdin", ("sb1", 42, b"\x00\xff"), {"eof": True}, (204, None),
     ("POST", f"{P}/42/stdin", {"eof": "true"}, None), None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "canned", "expected", "result"),
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
def test_call(
    kind: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    canned: tuple[int, Any],
    expected: tuple[Any, ...],
    result: Any,
) -> None:
    recorder = Recorder(reply(*canned))
    assert invoke(kind, recorder, method, *args, service="process", **kwargs) == result
    request = recorder.last
    assert (request.method, request.url.path, dict(request.url.params)) == expected[:3]
    if expected[3] is not None:
        assert body_json(request) == expected[3]


def test_send_stdin_sends_raw_bytes(kind: str) -> None:
    recorder = Recorder(reply(204))
    invoke(kind, recorder, "send_stdin", "sb1", 42, "héllo\n", service="process")
    assert recorder.last.content == "héllo\n".encode()
    assert recorder.last.headers["Content-Type"] == "application/octet-stream"
    invoke(kind, recorder, "send_stdin", "sb1", 42, bytearray(b"\x00\xff"), service="process")
    assert recorder.last.content == b"\x00\xff"


def read_timeout(request: httpx.Request) -> float:
    return request.extensions["timeout"]["read"]


def test_run_timeouts(kind: str) -> None:
    recorder = Recorder(reply(200, RESULT))
    options = {"exec_timeout": 100, "timeout": 5}
    invoke(kind, recorder, "run", "sb1", "x", service="process", client_options=options)
    assert (body_json(recorder.last)["timeout"], read_timeout(recorder.last)) == (100, 130)
    opts = RunCommandOptions(timeout=1.5)
    invoke(kind, recorder, "run", "sb1", "x", opts, service="process", client_options=options)
    assert (body_json(recorder.last)["timeout"], read_timeout(recorder.last)) == (1.5, 31.5)
    big = {"exec_timeout": 10**6}
    invoke(kind, recorder, "run", "sb1", "x", service="process", client_options=big)
    assert body_json(recorder.last)["timeout"] == 86400  # the server's maximum


def test_timeout_error_carries_the_output(kind: str) -> None:
    details = {"pid": 7, "exit_code": 137, "stdout": "partial\n", "stderr": "warn\n"}
    body = {"error": {"code": 3002, "message": "timed out after 1 s", "details": details}}
    with pytest.raises(ProcessTimeoutError) as info:
        invoke(kind, reply(408, body), "run", "sb1", "sleep", service="process")
    error = info.value
    assert (error.code, error.status, error.message) == (3002, 408, "timed out after 1 s")
    assert (error.pid, error.exit_code, error.stdout, error.stderr) == (
        7,
        137,
        "partial\n",
        "warn\n",
    )


def test_timeout_error_without_details(kind: str) -> None:
    with pytest.raises(ProcessTimeoutError) as info:
        invoke(kind, error_reply(3002, 408), "shell", "sb1", "sleep 9", service="process")
    assert (info.value.pid, info.value.exit_code, info.value.stdout, info.value.stderr) == (
        None, None, "", "")  # fmt: skip


def test_exec_raises_on_non_zero_exit(kind: str) -> None:
    failed = {"pid": 9, "exit_code": 1, "stdout": "so far", "stderr": "cat: nope: No such file\n"}
    with pytest.raises(CommandExitError) as info:
        invoke(kind, reply(200, failed), "exec", "sb1", "cat", "nope", service="process")
    error = info.value
    assert isinstance(error, WorkspaceError) and error.code == 9004 and error.status is None
    assert error.message == "'cat nope' exited with code 1: cat: nope: No such file"
    assert (error.pid, error.exit_code, error.stdout, error.stderr) == (
        9, 1, "so far", "cat: nope: No such file\n")  # fmt: skip


def test_run_returns_non_zero_exit(kind: str) -> None:
    failed = {"pid": 9, "exit_code": 127, "stdout": "", "stderr": "not found"}
    result = invoke(kind, reply(200, failed), "run", "sb1", "nope", service="process")
    assert result.exit_code == 127


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("run", ("sb1", ""), ValueError),
        ("run", ("sb1", "ls", {"args": ["-l"]}), TypeError),
        ("run", ("sb1", "ls", RunCommandOptions(args="-l")), TypeError),  # type: ignore[arg-type]
        ("run", ("", "ls"), ValueError),
        ("shell", ("sb1", ["echo"]), TypeError),
        ("kill", ("sb1", "42"), TypeError),
        ("kill", ("sb1", True), TypeError),
        ("kill", ("sb1", 42, "TERM"), TypeError),
        ("send_stdin", ("sb1", 42, 5), TypeError),
        ("attach", ("sb1", 4.2), TypeError),
        ("run_stream", ("sb1", ""), ValueError),
    ],
)
def test_bad_arguments_raise_before_sending(
    kind: str, method: str, args: tuple[Any, ...], error: type[Exception]
) -> None:
    recorder = Recorder(reply(200, RESULT))
    with pytest.raises(error):
        invoke(kind, recorder, method, *args, service="process")
    assert recorder.requests == []


def test_process_errors(kind: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, error_reply(2002, 409), "run", "sb1", "ls", service="process")
    assert info.value.code == 2002
    with pytest.raises(WorkspaceError) as info:
        invoke(kind, error_reply(3001, 404), "kill", "sb1", 5, service="process")
    assert info.value.code == 3001


def test_output_errors_pickle_with_their_output() -> None:
    details = {"pid": 7, "exit_code": 1, "stdout": "o", "stderr": "e"}
    for cls, code in ((ProcessTimeoutError, 3002), (CommandExitError, 9004)):
        error = pickle.loads(pickle.dumps(cls(code, "m", details, 408)))
        assert type(error) is cls
        assert (error.pid, error.exit_code, error.stdout, error.stderr) == (7, 1, "o", "e")
