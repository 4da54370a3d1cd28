"""``WorkspaceManagerClient``: the seed-000 client, a thin layer on ``workspace_sdk``.

Why on top of ``WorkspaceClient``: configuration (explicit argument, then environment
variable, then default, with the same checks), the HTTP transport, errors and the
workspace/sandbox/process services are the SDK's; this client only composes them into
seed-000's calls. In particular ``create_workspace`` is two SDK calls (a workspace, then
its primary sandbox) under one deadline, undone if the second fails.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from types import TracebackType
from typing import Any

import httpx

from workspace_sdk import (
    CreateSandboxParams,
    CreateWorkspaceParams,
    Sandbox,
    SandboxNotFoundError,
    WorkspaceClient,
    WorkspaceError,
)
from workspace_sdk._config import ClientConfig
from workspace_sdk._http import SyncHTTP
from workspace_sdk.errors import CLIENT_TIMEOUT
from workspace_sdk.services import _sandbox_calls

from . import _calls as calls
from ._handle import WorkspaceHandle

log = logging.getLogger("wm_client")
_LIVE_STATES = ("running", "starting")


def primary_sandbox(sandboxes: list[Sandbox]) -> Sandbox | None:
    """The oldest running or starting sandbox (lists come oldest first), else the oldest."""
    for sandbox in sandboxes:
        if sandbox.state in _LIVE_STATES:
            return sandbox
    return sandboxes[0] if sandboxes else None


class _Deadline:
    """What is left of ``create_workspace``'s time (``timeout`` / ``WM_CREATE_TIMEOUT``)."""

    def __init__(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {seconds!r}")
        self.seconds = float(seconds)
        self.end = time.monotonic() + self.seconds

    def left(self, what: str) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.expired(what)
        return left

    def expired(self, what: str) -> WorkspaceError:
        return WorkspaceError(
            CLIENT_TIMEOUT,
            f"create_workspace did not finish within {self.seconds:g} s (timeout / "
            f"WM_CREATE_TIMEOUT) while {what} (the workspace it created is deleted)",
        )


class WorkspaceManagerClient:
    """Seed-000 style client: workspaces backed by a container, in one call.

    Every argument left None comes from its environment variable, else its default, exactly
    as in ``workspace_sdk.WorkspaceClient``: ``base_url`` from ``WORKSPACE_API_URL`` then
    ``WM_BASE_URL``; ``api_key`` / ``api_key_header`` from ``WORKSPACE_API_KEY`` /
    ``WORKSPACE_API_KEY_HEADER``; ``timeout`` (``WM_REQUEST_TIMEOUT``), ``exec_timeout``
    (``WM_EXEC_TIMEOUT``), ``create_timeout`` (``WM_CREATE_TIMEOUT``), ``file_timeout``
    (``WM_FILE_TIMEOUT``); ``verify_tls`` / ``allow_insecure_tls`` / ``allow_insecure_http``;
    ``max_file_transfer_bytes``; ``public_base_url`` (``WORKSPACE_PUBLIC_BASE_URL``, the base
    of token URLs handed out); ``container_workspace_dir`` (``CONTAINER_WORKSPACE_DIR``, the
    handles' ``workdir``). ``transport`` replaces httpx's network transport (tests).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = None,
        api_key_header: str | None = None,
        exec_timeout: float | None = None,
        create_timeout: float | None = None,
        file_timeout: float | None = None,
        verify_tls: bool | None = None,
        allow_insecure_tls: bool | None = None,
        allow_insecure_http: bool | None = None,
        max_file_transfer_bytes: int | None = None,
        public_base_url: str | None = None,
        container_workspace_dir: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.sdk = WorkspaceClient(
            api_url=base_url,
            api_key=api_key,
            timeout=timeout,
            api_key_header=api_key_header,
            exec_timeout=exec_timeout,
            create_timeout=create_timeout,
            file_timeout=file_timeout,
            verify_tls=verify_tls,
            allow_insecure_tls=allow_insecure_tls,
            allow_insecure_http=allow_insecure_http,
            max_file_transfer_bytes=max_file_transfer_bytes,
            public_base_url=public_base_url,
            container_workspace_dir=container_workspace_dir,
            transport=transport,
        )  # the underlying SDK client, for anything seed-000 lacks

    @property
    def config(self) -> ClientConfig:
        """Every resolved setting."""
        return self.sdk.config

    @property
    def base_url(self) -> str:
        return self.sdk.config.api_url

    @property
    def _http(self) -> SyncHTTP:
        return self.sdk._http

    def health(self) -> dict[str, Any]:
        """``GET /health``: ``{"status": "ok", "version": ...}`` (``WM_REQUEST_TIMEOUT``)."""
        return self._http.call(calls.health())

    def application_kinds(self) -> list[dict[str, Any]]:
        """The application kinds the server's plugins offer: ``[{kind, plugin, template}]``."""
        return self._http.call(calls.application_kinds())

    def create_workspace(
        self,
        image: str | None = None,
        application_kind: str | None = None,
        cpu: str | float | None = None,
        mem: str | int | None = None,
        env: dict[str, str] | None = None,
        name: str | None = None,
        metadata: dict[str, str] | None = None,
        wait_ready: bool = True,
        timeout: float | None = None,
    ) -> WorkspaceHandle:
        """Create a workspace and its primary sandbox; return their handle.

        The sandbox runs ``image`` (a template; None: the server's default or the kind's),
        with ``application_kind``, ``cpu`` (cores or ``"1c"``/``"500m"``), ``mem`` (bytes or
        ``"512m"``/``"2g"``) and ``env``. With ``wait_ready`` the call returns once the
        sandbox runs; the whole call is bounded by ``timeout`` (default ``create_timeout``,
        ``WM_CREATE_TIMEOUT``). If the sandbox cannot be made (or in time), the workspace
        and anything started in it are deleted before the error is raised.
        """
        deadline = _Deadline(self.config.create_timeout if timeout is None else timeout)
        workspace = self.sdk.workspace.create(CreateWorkspaceParams(name=name, metadata=metadata))
        params = CreateSandboxParams(
            workspace_id=workspace.id,
            template=image,
            name=name,
            env=env,
            cpu=cpu,
            memory=mem,
            application_kind=application_kind,
        )
        try:
            sandbox = self._start(params, wait_ready, deadline)
        except BaseException as error:
            self._discard(workspace.id, error)
            raise
        return WorkspaceHandle(self, workspace, sandbox)

    def _start(self, params: CreateSandboxParams, wait_ready: bool, deadline: _Deadline) -> Sandbox:
        call = dataclasses.replace(
            _sandbox_calls.create(params),
            timeout=deadline.left("creating the sandbox"),
            params=None if wait_ready else {"wait": "false"},
        )
        try:
            sandbox = self._http.call(call)
            if wait_ready and sandbox.state != "running":
                left = deadline.left("waiting for the sandbox to run")
                sandbox = self.sdk.sandbox.wait_for_state(sandbox.id, "running", timeout=left)
        except WorkspaceError as error:
            if error.code == CLIENT_TIMEOUT:
                raise deadline.expired("waiting for the sandbox") from error
            raise
        return sandbox

    def _discard(self, workspace_id: str, error: BaseException) -> None:
        """Undo a half-made ``create_workspace``; a failure to do so is logged, not raised."""
        try:
            self.delete_workspace(workspace_id, force=True)
        except Exception as cleanup:  # the original error matters more
            log.warning(
                "could not remove workspace %s after a failed create: %s", workspace_id, cleanup
            )
            if isinstance(error, WorkspaceError):
                error.details.setdefault("cleanup_error", str(cleanup))

    def list_workspaces(self) -> list[WorkspaceHandle]:
        """Every workspace, oldest first, each with its primary sandbox (None if it has none)."""
        workspaces = self.sdk.workspace.list()
        by_workspace: dict[str, list[Sandbox]] = {}
        for sandbox in self.sdk.sandbox.list():
            by_workspace.setdefault(sandbox.workspace_id, []).append(sandbox)
        return [
            WorkspaceHandle(self, ws, primary_sandbox(by_workspace.get(ws.id, [])))
            for ws in workspaces
        ]

    def get_workspace(self, workspace_id: str) -> WorkspaceHandle:
        """One workspace and its primary sandbox; ``WorkspaceNotFoundError`` if there is none."""
        workspace = self.sdk.workspace.get(workspace_id)
        sandboxes = self.sdk.sandbox.list(workspace_id=workspace_id)
        return WorkspaceHandle(self, workspace, primary_sandbox(sandboxes))

    def delete_workspace(self, workspace_id: str, *, force: bool = False) -> None:
        """Delete the workspace's sandboxes (``force``: no grace period), then the workspace."""
        for sandbox in self.sdk.sandbox.list(workspace_id=workspace_id):
            with contextlib.suppress(SandboxNotFoundError):
                self.sdk.sandbox.delete(sandbox.id, force=force)
        self.sdk.workspace.delete(workspace_id)

    def close(self) -> None:
        """Close the HTTP connections; safe to call more than once."""
        self.sdk.close()

    def __enter__(self) -> WorkspaceManagerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WorkspaceManagerClient(base_url={self.base_url!r})"
