"""Opening a PTY WebSocket: URL, headers and TLS as the HTTP client has them, and errors.

Why here: the upgrade request must authenticate and verify TLS exactly like every other
request of the SDK (``api_key_header``, ``verify_tls``, the same CA bundle as httpx), and
a refused upgrade is an ordinary HTTP error response with the JSON error envelope, so it
maps to the same error classes (``PtyNotFoundError`` for 4001, ``SandboxNotFoundError``
for 2001, ...). Imported lazily with ``_pty_session`` (it needs asyncio and websockets).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

from ._config import ClientConfig
from ._http import USER_AGENT
from ._pty_session import PtySession
from .errors import (
    CLIENT_BAD_RESPONSE,
    CLIENT_NETWORK_ERROR,
    CLIENT_TIMEOUT,
    WorkspaceError,
    error_from_response,
)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # one frame of replayed output can be large
PING_INTERVAL = 20.0  # keepalive, so idle terminals survive proxies that drop quiet sockets
PING_TIMEOUT = 60.0  # generous: pongs wait behind output a slow callback has not taken yet
CLOSE_TIMEOUT = 5.0


def ws_url(api_url: str, path: str, query: Sequence[tuple[str, str]]) -> str:
    """``http(s)://host/prefix`` + ``path`` + ``query`` as a ``ws(s)://`` URL."""
    parts = urlsplit(api_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit(
        (scheme, parts.netloc, parts.path + path, urlencode(query, quote_via=quote), "")
    )


async def open_session(
    config: ClientConfig,
    path: str,
    query: Sequence[tuple[str, str]],
    what: str,
    on_done: Callable[[PtySession], object],
) -> PtySession:
    """Upgrade ``path`` to a WebSocket, start its reader and wait for ``ready``."""
    ws = await _connect(config, ws_url(config.api_url, path, query), what)
    session = PtySession(ws, what, on_done)
    try:
        await asyncio.wait_for(session._ready.wait(), config.timeout)
    except asyncio.TimeoutError:
        await session.close()
        raise WorkspaceError(
            CLIENT_TIMEOUT, f"the {what} sent no ready message within {config.timeout} s"
        ) from None
    if not session.pty_id:
        await session.close()
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE,
            f"the {what} closed before it was ready "
            f"(WebSocket close code {session.close_code}, reason {ws.close_reason!r})",
        )
    return session


async def _connect(config: ClientConfig, url: str, what: str) -> ClientConnection:
    headers = {config.api_key_header: config.api_key} if config.api_key else {}
    tls = httpx.create_ssl_context(verify=config.verify_tls) if url.startswith("wss:") else None
    try:
        return await connect(
            url,
            additional_headers=headers,
            user_agent_header=USER_AGENT,
            ssl=tls,
            open_timeout=config.timeout,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
            max_size=MAX_MESSAGE_BYTES,
        )
    except InvalidStatus as exc:
        response = exc.response
        raise error_from_response(
            response.status_code, bytes(response.body), response.reason_phrase
        ) from None
    except asyncio.TimeoutError as exc:
        raise WorkspaceError(
            CLIENT_TIMEOUT,
            f"opening the {what} timed out after {config.timeout} s; raise the timeout if the "
            "server is slow",
        ) from exc
    except (OSError, InvalidHandshake, InvalidURI) as exc:
        raise WorkspaceError(
            CLIENT_NETWORK_ERROR,
            f"opening the {what} at {url.split('?')[0]} failed: {type(exc).__name__}: {exc}; "
            "is the server running and the URL right?",
        ) from exc
