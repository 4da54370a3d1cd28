"""Requests of the process API, built once for the sync and async services.

Why separate: as in ``_workspace_calls``, each function returns a ``Call`` describing
one route of ``docs/api.md``; the services only choose how to send it and how to read
an event stream.

Timeouts: a command's own ``timeout`` is enforced by the server (it kills the process
group and answers 408 code 3002, raised as ``ProcessTimeoutError`` with the output so
far), and the HTTP request waits that long plus ``SLACK``. A ``run`` without a timeout
sends ``exec_timeout`` (``WM_EXEC_TIMEOUT``) as the command's timeout, so the server,
not the client, ends a runaway command and its output is kept. A stream without a
timeout may run for ever; there ``exec_timeout`` only bounds silence between events.
"""

from __future__ import annotations

from typing import Any

from .._http import Call, parse_json, parse_nothing
from .._parse import from_json, list_from_json, to_json
from ..errors import CLIENT_COMMAND_FAILED, CommandExitError
from ..models import CommandResult, ProcessInfo, RunCommandOptions
from ._sandbox_calls import sandbox_path

SLACK = 30.0  # seconds the HTTP request waits beyond a command's own timeout
MAX_COMMAND_TIMEOUT = 86400.0  # the server's upper bound for a command timeout
EVENT_STREAM = {"Accept": "text/event-stream"}
OCTET_STREAM = {"Accept": "application/octet-stream"}


def _processes(sandbox_id: str) -> str:
    return f"{sandbox_path(sandbox_id)}/processes"


def _process(sandbox_id: str, pid: int) -> str:
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise TypeError(f"pid must be an int, got {type(pid).__name__}")
    return f"{_processes(sandbox_id)}/{pid}"


def _body(cmd: str, options: RunCommandOptions | None) -> dict[str, Any]:
    if not isinstance(cmd, str) or not cmd:
        raise ValueError(f"cmd must be a non-empty string, got {cmd!r}")
    if options is None:
        options = RunCommandOptions()
    if not isinstance(options, RunCommandOptions):
        raise TypeError(f"expected RunCommandOptions, got {type(options).__name__}")
    if isinstance(options.args, (str, bytes)):
        raise TypeError("RunCommandOptions.args must be a list of strings, not one string")
    body = {"cmd": cmd, **to_json(options)}
    if "args" in body:
        body["args"] = list(body["args"])
    return body


def run(
    sandbox_id: str, cmd: str, options: RunCommandOptions | None, default: float
) -> Call[CommandResult]:
    """Run to completion; ``default`` (exec_timeout) applies when no timeout is given."""
    body = _body(cmd, options)
    body.setdefault("timeout", min(default, MAX_COMMAND_TIMEOUT))
    return Call(
        "POST",
        _processes(sandbox_id),
        lambda r: from_json(CommandResult, parse_json(r)),
        json=body,
        timeout=float(body["timeout"]) + SLACK,
    )


def run_stream(
    sandbox_id: str, cmd: str, options: RunCommandOptions | None, default: float
) -> Call[None]:
    """Start and follow as SSE; ``default`` (exec_timeout) bounds silence when no timeout."""
    return _streamed(sandbox_id, cmd, options, default, EVENT_STREAM)


def raw_stdout(
    sandbox_id: str, cmd: str, options: RunCommandOptions | None, default: float
) -> Call[None]:
    """Start and read its raw stdout bytes; timeouts as ``run_stream``."""
    return _streamed(sandbox_id, cmd, options, default, OCTET_STREAM)


def _streamed(
    sandbox_id: str,
    cmd: str,
    options: RunCommandOptions | None,
    default: float,
    accept: dict[str, str],
) -> Call[None]:
    """A process start whose reply is read as a stream of the type ``accept`` names."""
    body = _body(cmd, options)
    timeout = float(body["timeout"]) + SLACK if "timeout" in body else default
    return Call(
        "POST",
        _processes(sandbox_id),
        parse_nothing,
        json=body,
        timeout=timeout,
        headers=accept,
    )


def output(sandbox_id: str, pid: int, after: int | str | None, default: float) -> Call[None]:
    """Replay the kept output of ``pid`` after event ``after``, then follow until it exits."""
    return Call(
        "GET",
        f"{_process(sandbox_id, pid)}/output",
        parse_nothing,
        params={} if after is None else {"after": str(after)},
        timeout=default,
        headers=EVENT_STREAM,
    )


def list_all(sandbox_id: str) -> Call[list[ProcessInfo]]:
    return Call(
        "GET",
        _processes(sandbox_id),
        lambda r: list_from_json(ProcessInfo, parse_json(r), "processes"),
    )


def signal(sandbox_id: str, pid: int, number: int) -> Call[None]:
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError(f"signal must be an int (e.g. signal.SIGTERM), got {number!r}")
    return Call(
        "POST", f"{_process(sandbox_id, pid)}/signal", parse_nothing, json={"signal": int(number)}
    )


def stdin(sandbox_id: str, pid: int, eof: bool) -> Call[None]:
    """The raw body (``stdin_bytes``) is passed to the transport alongside this call."""
    return Call(
        "POST",
        f"{_process(sandbox_id, pid)}/stdin",
        parse_nothing,
        params={"eof": "true" if eof else "false"},
        headers={"Content-Type": "application/octet-stream"},
    )


def stdin_bytes(data: str | bytes) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"stdin data must be str or bytes, got {type(data).__name__}")


def shell_options(
    script: str, env: dict[str, str] | None, cwd: str | None, timeout: float | None
) -> RunCommandOptions:
    """``/bin/sh -c script``: the script may use pipes, loops and variables."""
    if not isinstance(script, str):
        raise TypeError(f"script must be a str, got {type(script).__name__}")
    return RunCommandOptions(args=["-c", script], env=env, cwd=cwd, timeout=timeout)


def stdout_or_raise(result: CommandResult, cmd: str, args: tuple[str, ...]) -> str:
    """``exec``: the output of a command that succeeded, else ``CommandExitError``."""
    if result.exit_code == 0:
        return result.stdout
    tail = result.stderr.strip()[-500:]
    command = " ".join((cmd, *args))
    raise CommandExitError(
        CLIENT_COMMAND_FAILED,
        f"{command!r} exited with code {result.exit_code}" + (f": {tail}" if tail else ""),
        {
            "pid": result.pid,
            "exit_code": result.exit_code,
            "stdout": result.stdout,
            "stderr": result.stderr,
        },
    )
