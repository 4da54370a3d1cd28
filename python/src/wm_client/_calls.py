"""Requests of the seed-000 routes, as ``workspace_sdk`` ``Call`` objects.

Why here and in this shape: the routes for health, file tokens, ports, checkpoints and the
Splunk search are not in ``workspace_sdk``'s services, so each is described once as a
``Call`` and sent through the SDK's own transport (``SyncHTTP.call`` / ``download``): one
connection pool, one error mapping, the same timeouts and transfer cap as the SDK.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from workspace_sdk._http import Call, parse_json, parse_nothing
from workspace_sdk._parse import from_json, list_from_json
from workspace_sdk.errors import CLIENT_BAD_RESPONSE, WorkspaceError
from workspace_sdk.models import FileInfo, Sandbox
from workspace_sdk.services._sandbox_calls import sandbox_path

from ._models import Checkpoint, FileToken, FileTokenOperation, PortHint

SEARCH_DEFAULT_SECONDS = 60.0  # the server's default for a Splunk search
SEARCH_SLACK = 35.0  # the HTTP request waits this much beyond the search's own timeout


def workspace_path(workspace_id: str) -> str:
    if not isinstance(workspace_id, str) or not workspace_id:
        raise ValueError(f"workspace id must be a non-empty string, got {workspace_id!r}")
    return f"/v1/workspaces/{quote(workspace_id, safe='')}"


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/health", parse_json)


def application_kinds() -> Call[list[dict[str, Any]]]:
    def parse(response: httpx.Response) -> list[dict[str, Any]]:
        data = parse_json(response)
        kinds = data.get("application_kinds") if isinstance(data, dict) else None
        if not isinstance(kinds, list):
            raise WorkspaceError(CLIENT_BAD_RESPONSE, "expected {'application_kinds': [...]}")
        return kinds

    return Call("GET", "/v1/application-kinds", parse)


def file_token(workspace_id: str, path: str, operation: FileTokenOperation) -> Call[FileToken]:
    if operation not in ("upload", "download"):
        raise ValueError(f"operation must be 'upload' or 'download', got {operation!r}")
    return Call(
        "POST",
        f"{workspace_path(workspace_id)}/files/tokens",
        lambda r: from_json(FileToken, parse_json(r)),
        json={"path": path, "operation": operation},
    )


def _api_part(token: FileToken) -> tuple[str, str]:
    """The path (from ``/v1/`` on) and raw query of a token URL."""
    parts = urlsplit(token.url)
    start = parts.path.find("/v1/workspaces/")
    if start < 0:
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE, "the token URL the server sent is not a files/content URL"
        )
    return parts.path[start:], parts.query


def token_route(token: FileToken) -> tuple[str, dict[str, str]]:
    """The API path and query (less the token) of a token URL, to send to this client's base URL.

    Why not the URL's own origin: the server builds it on its public base URL, which may be
    an address for third parties; this client reaches the server at ``base_url``, and its
    API key must never go to any other host.
    """
    path, query = _api_part(token)
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.pop(token.query_param, None)  # sent in the header instead, kept out of access logs
    return path, params


def rebased_url(token: FileToken, base: str) -> str:
    """The token URL on another base URL (``WORKSPACE_PUBLIC_BASE_URL``)."""
    path, query = _api_part(token)
    return f"{base.rstrip('/')}{path}" + (f"?{query}" if query else "")


def _token_header(token: FileToken) -> dict[str, str]:
    value = f"Bearer {token.token}" if token.header.lower() == "authorization" else token.token
    return {token.header: value}


def token_upload(token: FileToken) -> Call[FileInfo]:
    """``PUT`` of the token URL with the token in its header; the raw body goes alongside."""
    path, params = token_route(token)
    return Call(
        "PUT",
        path,
        lambda r: from_json(FileInfo, parse_json(r)),
        params=params,
        timeout="file",
        headers={**_token_header(token), "Content-Type": "application/octet-stream"},
    )


def token_download(token: FileToken) -> Call[None]:
    """``GET`` of the token URL; the body is streamed by the transport's ``download``."""
    path, params = token_route(token)
    return Call(
        "GET", path, parse_nothing, params=params, timeout="file", headers=_token_header(token)
    )


def port_hint(sandbox_id: str, port: int) -> Call[PortHint]:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a whole number from 1 to 65535, got {port!r}")
    return Call(
        "GET",
        f"{sandbox_path(sandbox_id)}/ports/{port}",
        lambda r: from_json(PortHint, parse_json(r)),
    )


def _checkpoints(sandbox_id: str, suffix: str = "") -> str:
    return f"{sandbox_path(sandbox_id)}/checkpoints{suffix}"


def _checkpoint_id(checkpoint_id: str) -> str:
    if not isinstance(checkpoint_id, str) or not checkpoint_id:
        raise ValueError(f"checkpoint id must be a non-empty string, got {checkpoint_id!r}")
    return quote(checkpoint_id, safe="")


def create_checkpoint(sandbox_id: str, name: str | None) -> Call[Checkpoint]:
    """Committing a container can take a while: this uses the create timeout."""
    return Call(
        "POST",
        _checkpoints(sandbox_id),
        lambda r: from_json(Checkpoint, parse_json(r)),
        json={} if name is None else {"name": name},
        timeout="create",
    )


def list_checkpoints(sandbox_id: str) -> Call[list[Checkpoint]]:
    return Call(
        "GET",
        _checkpoints(sandbox_id),
        lambda r: list_from_json(Checkpoint, parse_json(r), "checkpoints"),
    )


def restore_checkpoint(sandbox_id: str, checkpoint_id: str) -> Call[Sandbox]:
    """Restoring recreates the container, so this uses the create timeout."""
    return Call(
        "POST",
        _checkpoints(sandbox_id, f"/{_checkpoint_id(checkpoint_id)}/restore"),
        lambda r: from_json(Sandbox, parse_json(r)),
        timeout="create",
    )


def delete_checkpoint(sandbox_id: str, checkpoint_id: str) -> Call[None]:
    return Call(
        "DELETE", _checkpoints(sandbox_id, f"/{_checkpoint_id(checkpoint_id)}"), parse_nothing
    )


def _search_results(response: httpx.Response) -> list[dict[str, Any]]:
    data = parse_json(response)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE, "expected {'results': [{...}, ...]} in the response"
        )
    return results


def splunk_search(sandbox_id: str, query: str, timeout: float | None) -> Call[list[dict[str, Any]]]:
    if not isinstance(query, str) or not query.strip():
        raise ValueError("a Splunk search needs a non-empty query")
    body: dict[str, Any] = {"query": query}
    if timeout is not None:
        body["timeout"] = timeout
    seconds = SEARCH_DEFAULT_SECONDS if timeout is None else float(timeout)
    return Call(
        "POST",
        f"{sandbox_path(sandbox_id)}/splunk/search",
        _search_results,
        json=body,
        timeout=seconds + SEARCH_SLACK,
    )
