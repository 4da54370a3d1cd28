"""Errors raised by the SDK, chosen from the server's numeric error code.

Why a table: the server answers every failure with
``{"error": {"code": <int>, "message": "...", "details": {...}}}`` and the code
table lives in ``packages/protocol/src/errors.ts``. This module mirrors that table
so that the Python and TypeScript SDKs pick the same error class for the same
code. Codes this version does not know still raise the base ``WorkspaceError``,
so a newer server never breaks an older client.

Failures that never reached the server carry client-side codes in the 9xxx range,
which the protocol table does not use:

- ``9000`` CLIENT_CONFIG_INVALID: a bad argument or environment variable at client
  construction (raised as ``ConfigurationError``, which is also a ``ValueError``).
- ``9001`` CLIENT_NETWORK_ERROR: the request could not be sent or the connection broke.
- ``9002`` CLIENT_TIMEOUT: no answer within the configured timeout.
- ``9003`` CLIENT_BAD_RESPONSE: a successful status whose body is not what the API promises.
- ``9004`` CLIENT_COMMAND_FAILED: ``client.process.exec`` ran a command that exited non-zero
  (raised as ``CommandExitError``; ``run`` never raises for an exit code).
- ``9005`` CLIENT_NFS_FAILED: ``client.nfs`` could not mount or unmount on this machine
  (NFS off on the server, mount tools missing, ``mount`` failed, nothing mounted there).
  Missing privileges raise ``PermissionDeniedError`` with this code; ``details["reason"]``
  says which case it is, and ``details["stderr"]`` holds what ``mount``/``umount`` printed.

Errors about a command that ran (``ProcessTimeoutError``, ``CommandExitError``) carry its
``pid``, ``exit_code``, ``stdout`` and ``stderr``, so a failure never loses the output.

The transfer cap (``WM_MAX_FILE_TRANSFER_BYTES``) enforced on the client side raises
code ``1004`` (payload too large), the same code the server uses for its own cap,
with ``status`` set to ``None`` because no HTTP response was involved.

Note: ``FileNotFoundError`` here shadows the builtin of the same name when imported
directly; ``from workspace_sdk import errors`` avoids that where it matters.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "AgentNotConnectedError",
    "CommandExitError",
    "ConfigurationError",
    "FileNotFoundError",
    "PermissionDeniedError",
    "ProcessTimeoutError",
    "PtyNotFoundError",
    "SandboxNotFoundError",
    "TemplateNotFoundError",
    "WorkspaceError",
    "WorkspaceNotFoundError",
    "error_class_for_code",
    "error_from_response",
]

# Server-side codes (mirrors packages/protocol/src/errors.ts).
INTERNAL = 1000
VALIDATION = 1001
UNAUTHENTICATED = 1002
FORBIDDEN = 1003
PAYLOAD_TOO_LARGE = 1004
RATE_LIMITED = 1005
RUNTIME_UNAVAILABLE = 1006
NOT_FOUND = 1007
METHOD_NOT_ALLOWED = 1008

# Client-side codes (never sent by the server).
CLIENT_CONFIG_INVALID = 9000
CLIENT_NETWORK_ERROR = 9001
CLIENT_TIMEOUT = 9002
CLIENT_BAD_RESPONSE = 9003
CLIENT_COMMAND_FAILED = 9004
CLIENT_NFS_FAILED = 9005


class WorkspaceError(Exception):
    """Base of every SDK error: ``code`` (int), ``message`` (non-empty), ``details``, ``status``.

    ``status`` is the HTTP status of the response, or ``None`` when the error arose
    on the client side (network failure, timeout, transfer cap, configuration).
    """

    def __init__(
        self,
        code: int,
        message: str,
        details: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.code = int(code)
        self.message = message or f"error {code}"
        self.details: dict[str, Any] = dict(details or {})
        self.status = status
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"details={self.details!r}, status={self.status!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.details, self.status))


class ConfigurationError(WorkspaceError, ValueError):
    """A client argument or environment variable is invalid (code 9000)."""

    def __init__(
        self,
        code: int | str = CLIENT_CONFIG_INVALID,
        message: str = "",
        details: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        if isinstance(code, str):  # ConfigurationError("message") reads naturally
            super().__init__(CLIENT_CONFIG_INVALID, code, details, status)
        else:
            super().__init__(code, message, details, status)


class SandboxNotFoundError(WorkspaceError):
    """No sandbox has that id (code 2001)."""


class TemplateNotFoundError(WorkspaceError):
    """The requested template (image) does not exist (code 2003)."""


class _CommandOutputError(WorkspaceError):
    """An error about a command that ran: ``pid``, ``exit_code``, ``stdout``, ``stderr``.

    They are read from ``details`` (the server puts them there), so the error pickles
    and compares like any other; missing values are ``None`` / ``""``.
    """

    pid: int | None
    exit_code: int | None
    stdout: str
    stderr: str

    def __init__(
        self,
        code: int,
        message: str,
        details: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(code, message, details, status)
        self.pid = _int_or_none(self.details.get("pid"))
        self.exit_code = _int_or_none(self.details.get("exit_code"))
        stdout, stderr = self.details.get("stdout"), self.details.get("stderr")
        self.stdout = stdout if isinstance(stdout, str) else ""
        self.stderr = stderr if isinstance(stderr, str) else ""


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ProcessTimeoutError(_CommandOutputError):
    """A command ran past its timeout (code 3002); its process group was killed.

    ``pid``, ``exit_code``, ``stdout`` and ``stderr`` hold what it did before that.
    """


class CommandExitError(_CommandOutputError):
    """``client.process.exec`` ran a command that exited non-zero (client-side code 9004)."""


class AgentNotConnectedError(WorkspaceError):
    """The in-sandbox agent is not answering (code 3003)."""


class PtyNotFoundError(WorkspaceError):
    """No PTY session has that id (code 4001)."""


class FileNotFoundError(WorkspaceError):  # the name is fixed by the SDK contract
    """The workspace path does not exist (code 5001)."""


class PermissionDeniedError(WorkspaceError):
    """The operation is not permitted or the path escapes the workspace (codes 5002, 5006).

    Also raised on the client side (code 9005) when mounting or unmounting over NFS needs
    privileges this process lacks.
    """


class WorkspaceNotFoundError(WorkspaceError):
    """No workspace has that id (code 7001)."""


_CLASS_BY_CODE: dict[int, type[WorkspaceError]] = {
    2001: SandboxNotFoundError,
    2003: TemplateNotFoundError,
    3002: ProcessTimeoutError,
    3003: AgentNotConnectedError,
    4001: PtyNotFoundError,
    5001: FileNotFoundError,
    5002: PermissionDeniedError,
    5006: PermissionDeniedError,
    7001: WorkspaceNotFoundError,
}

# Generic code for an error response whose body carries none (e.g. a proxy's HTML page).
_CODE_BY_STATUS: dict[int, int] = {
    400: VALIDATION,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    413: PAYLOAD_TOO_LARGE,
    429: RATE_LIMITED,
    503: RUNTIME_UNAVAILABLE,
}


def error_class_for_code(code: int) -> type[WorkspaceError]:
    """Return the error class for a numeric code; ``WorkspaceError`` for any other code."""
    return _CLASS_BY_CODE.get(code, WorkspaceError)


def error_from_response(status: int, body: bytes, reason: str = "") -> WorkspaceError:
    """Build the error for a failed HTTP response from its status and (possibly non-JSON) body."""
    envelope: Any = None
    try:
        envelope = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        envelope = None
    error = envelope.get("error") if isinstance(envelope, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), int):
        code: int = error["code"]
        message = error.get("message")
        details = error.get("details")
        return error_class_for_code(code)(
            code,
            message if isinstance(message, str) and message else f"HTTP {status} (code {code})",
            details if isinstance(details, dict) else None,
            status,
        )
    snippet = body[:200].decode("utf-8", errors="replace").strip()
    message = f"HTTP {status} {reason}".strip()
    if snippet:
        message = f"{message}: {snippet}"
    return WorkspaceError(_CODE_BY_STATUS.get(status, INTERNAL), message, None, status)
