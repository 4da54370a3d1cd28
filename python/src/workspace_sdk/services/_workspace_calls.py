"""Requests of the workspace and file API, built once for the sync and async services.

Why separate: each function here returns a ``Call`` describing one route of
``docs/api.md`` (method, path, query, body, timeout, reply parser). The sync and
async services only choose how to send it, so the two can never drift apart.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from .._http import Call, parse_json, parse_nothing
from .._parse import from_json, list_from_json, to_json
from ..models import CreateWorkspaceParams, FileInfo, Workspace


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _workspace_path(workspace_id: str) -> str:
    if not isinstance(workspace_id, str) or not workspace_id:
        raise ValueError(f"workspace id must be a non-empty string, got {workspace_id!r}")
    return f"/v1/workspaces/{quote(workspace_id, safe='')}"


def _file_path(path: str) -> str:
    if not isinstance(path, str):
        raise TypeError(f"a workspace path must be a str, got {type(path).__name__}")
    return path


def _workspace(response: httpx.Response) -> Workspace:
    return from_json(Workspace, parse_json(response))


def _file_info(response: httpx.Response) -> FileInfo:
    return from_json(FileInfo, parse_json(response))


def create(params: CreateWorkspaceParams | None) -> Call[Workspace]:
    body = to_json(params if params is not None else CreateWorkspaceParams())
    return Call("POST", "/v1/workspaces", _workspace, json=body)


def get(workspace_id: str) -> Call[Workspace]:
    return Call("GET", _workspace_path(workspace_id), _workspace)


def list_all() -> Call[list[Workspace]]:
    return Call(
        "GET", "/v1/workspaces", lambda r: list_from_json(Workspace, parse_json(r), "workspaces")
    )


def update_quota(workspace_id: str, quota_bytes: int | None) -> Call[Workspace]:
    # None is sent as null: it lifts the quota rather than meaning "unchanged".
    body = {"quota_bytes": quota_bytes}
    return Call("PATCH", _workspace_path(workspace_id), _workspace, json=body)


def delete(workspace_id: str) -> Call[None]:
    return Call("DELETE", _workspace_path(workspace_id), parse_nothing)


def list_files(workspace_id: str, path: str) -> Call[list[FileInfo]]:
    return Call(
        "GET",
        f"{_workspace_path(workspace_id)}/files",
        lambda r: list_from_json(FileInfo, parse_json(r), "files"),
        params={"path": _file_path(path)},
        timeout="file",
    )


def read_content(workspace_id: str, path: str) -> Call[None]:
    """The body is streamed by the transport's ``download``; there is nothing to parse."""
    return Call(
        "GET",
        f"{_workspace_path(workspace_id)}/files/content",
        parse_nothing,
        params={"path": _file_path(path)},
        timeout="file",
    )


def write_content(workspace_id: str, path: str, parents: bool) -> Call[FileInfo]:
    """The raw body is passed to the transport alongside this call."""
    return Call(
        "PUT",
        f"{_workspace_path(workspace_id)}/files/content",
        _file_info,
        params={"path": _file_path(path), "parents": _flag(parents)},
        timeout="file",
    )


def file_info(workspace_id: str, path: str) -> Call[FileInfo]:
    return Call(
        "GET",
        f"{_workspace_path(workspace_id)}/files/info",
        _file_info,
        params={"path": _file_path(path)},
        timeout="file",
    )


def mkdir(workspace_id: str, path: str, parents: bool) -> Call[FileInfo]:
    return Call(
        "POST",
        f"{_workspace_path(workspace_id)}/files/mkdir",
        _file_info,
        json={"path": _file_path(path), "parents": parents},
        timeout="file",
    )


def copy_or_move(
    verb: str, workspace_id: str, src: str, dst: str, overwrite: bool
) -> Call[FileInfo]:
    return Call(
        "POST",
        f"{_workspace_path(workspace_id)}/files/{verb}",
        _file_info,
        json={"source": _file_path(src), "destination": _file_path(dst), "overwrite": overwrite},
        timeout="file",
    )


def delete_file(workspace_id: str, path: str, recursive: bool) -> Call[None]:
    return Call(
        "DELETE",
        f"{_workspace_path(workspace_id)}/files",
        parse_nothing,
        params={"path": _file_path(path), "recursive": _flag(recursive)},
        timeout="file",
    )
