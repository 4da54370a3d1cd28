"""``client.pty`` (asyncio client only): terminals in a sandbox over WebSocket.

Why no blocking twin: a terminal is driven by callbacks and a background reader, which
the SDK contract defines for asyncio only. Why lazy imports: this module is loaded with
every client, and the blocking client must import and run where asyncio cannot (a
``concurrent.py`` beside a script shadows the package asyncio needs), so asyncio and
websockets are only imported when a PTY is opened (``_pty_open``, ``_pty_session``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from .._config import ClientConfig
from ..models import PtyOptions
from ._sandbox_calls import sandbox_path

if TYPE_CHECKING:
    from .._pty_session import PtySession

MAX_OPEN_DIMENSION = 999  # the server takes 1-3 digit sizes when it starts a PTY


def connect_query(options: PtyOptions | None) -> list[tuple[str, str]]:
    """``cols``, ``rows``, ``shell`` and one ``env=NAME=value`` per variable."""
    if options is None:
        options = PtyOptions()
    if not isinstance(options, PtyOptions):
        raise TypeError(f"expected PtyOptions, got {type(options).__name__}")
    query: list[tuple[str, str]] = []
    for name in ("cols", "rows"):
        value = getattr(options, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"PtyOptions.{name} must be an int, got {type(value).__name__}")
        if not 1 <= value <= MAX_OPEN_DIMENSION:
            raise ValueError(f"PtyOptions.{name} must be between 1 and 999, got {value}")
        query.append((name, str(value)))
    if options.shell is not None:
        if not isinstance(options.shell, str) or not options.shell:
            raise ValueError(f"PtyOptions.shell must be a non-empty string, got {options.shell!r}")
        query.append(("shell", options.shell))
    for key, value in (options.env or {}).items():
        if not isinstance(key, str) or not key or "=" in key:
            raise ValueError(f"PtyOptions.env names must be non-empty without '=', got {key!r}")
        if not isinstance(value, str):
            raise TypeError(f"PtyOptions.env[{key!r}] must be a str, got {type(value).__name__}")
        query.append(("env", f"{key}={value}"))
    return query


def _pty_path(sandbox_id: str, pty_id: str) -> str:
    if not isinstance(pty_id, str) or not pty_id:
        raise ValueError(f"pty id must be a non-empty string, got {pty_id!r}")
    return f"{sandbox_path(sandbox_id)}/pty/{quote(pty_id, safe='')}"


class AsyncPtyService:
    """Terminals in a sandbox. Reached as ``client.pty`` on ``AsyncWorkspaceClient``."""

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._sessions: set[PtySession] = set()

    async def connect(self, sandbox_id: str, options: PtyOptions | None = None) -> PtySession:
        """Start a shell on a new PTY (``options``: size, shell, environment) and attach.

        Returns once the server is ready. Raises ``SandboxNotFoundError`` (2001), code
        2002 if the sandbox is not running, ``WorkspaceError`` 9001/9002 if the socket
        cannot be opened in time.
        """
        path = f"{sandbox_path(sandbox_id)}/pty"
        query = connect_query(options)
        return await self._open(path, query, f"PTY in sandbox {sandbox_id}")

    async def reconnect(self, sandbox_id: str, pty_id: str, after: int | None = None) -> PtySession:
        """Attach again to a running PTY; the server replays the output it kept from byte
        offset ``after`` (a session's ``offset``), or all of it. ``PtyNotFoundError`` (4001)
        once the PTY is gone."""
        query: list[tuple[str, str]] = []
        if after is not None:
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise ValueError(f"after must be a non-negative int, got {after!r}")
            query.append(("after", str(after)))
        path = _pty_path(sandbox_id, pty_id)
        return await self._open(path, query, f"PTY {pty_id} in sandbox {sandbox_id}")

    async def aclose(self) -> None:
        """Detach every session still open (the PTYs live on for their grace period)."""
        for session in list(self._sessions):
            await session.close()

    async def _open(self, path: str, query: list[tuple[str, str]], what: str) -> PtySession:
        from .._pty_open import open_session  # imports asyncio and websockets

        session = await open_session(self._config, path, query, what, self._sessions.discard)
        if not session.closed:
            self._sessions.add(session)
        return session
