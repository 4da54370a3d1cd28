"""``client.server``: the state of the server itself.

``health()`` says the server is up, which version it runs, which replica answered and who
leads; ``ready()`` says whether its store and container engine answer. Why ``ready()``
does not raise on the server's 503 (code 1006): "not ready" is the answer asked for, so it
comes back as ``ServerReadiness(ready=False, checks=...)`` with the failing checks from the
error's details. Every other failure (no reply, bad credentials, ...) raises as usual.
"""

from __future__ import annotations

from typing import Any

import httpx

from .._http import AsyncHTTP, Call, SyncHTTP, parse_json
from .._parse import from_json
from ..errors import CLIENT_BAD_RESPONSE, RUNTIME_UNAVAILABLE, WorkspaceError
from ..models import ReplicaStatus, ServerHealth, ServerReadiness


def _health(response: httpx.Response) -> ServerHealth:
    data = parse_json(response)
    health = from_json(ServerHealth, data)
    health.replica = from_json(ReplicaStatus, data.get("replica"))
    return health


def _string_map(value: object) -> dict[str, str]:
    """The string entries of a map (check results); anything else is not a check."""
    if not isinstance(value, dict):
        return {}
    return {str(key): item for key, item in value.items() if isinstance(item, str)}


def _ready(response: httpx.Response) -> ServerReadiness:
    data: Any = parse_json(response)
    checks = data.get("checks") if isinstance(data, dict) else None
    if not isinstance(checks, dict):
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE,
            f"expected {{'checks': {{...}}}} from GET /ready, got {data!r:.200}",
        )
    return ServerReadiness(ready=True, checks=_string_map(checks))


HEALTH: Call[ServerHealth] = Call("GET", "/health", _health)
READY: Call[ServerReadiness] = Call("GET", "/ready", _ready)


def _not_ready(error: WorkspaceError) -> ServerReadiness:
    """The server's 503 code 1006 as an answer; re-raise any other error."""
    if error.status == 503 and error.code == RUNTIME_UNAVAILABLE:
        return ServerReadiness(ready=False, checks=_string_map(error.details))
    raise error


class ServerService:
    """Health and readiness of the server, blocking. Reached as ``client.server``."""

    def __init__(self, http: SyncHTTP) -> None:
        self._http = http

    def health(self) -> ServerHealth:
        """``GET /health``: the version and the answering replica's view of the leader lease."""
        return self._http.call(HEALTH)

    def ready(self) -> ServerReadiness:
        """``GET /ready``: ``ready`` with every check ``"ok"``, or not ready with the reasons."""
        try:
            return self._http.call(READY)
        except WorkspaceError as error:
            return _not_ready(error)


class AsyncServerService:
    """Health and readiness of the server, asyncio. Reached as ``client.server``."""

    def __init__(self, http: AsyncHTTP) -> None:
        self._http = http

    async def health(self) -> ServerHealth:
        """``GET /health``: the version and the answering replica's view of the leader lease."""
        return await self._http.call(HEALTH)

    async def ready(self) -> ServerReadiness:
        """``GET /ready``: ``ready`` with every check ``"ok"``, or not ready with the reasons."""
        try:
            return await self._http.call(READY)
        except WorkspaceError as error:
            return _not_ready(error)
