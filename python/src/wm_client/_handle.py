"""``WorkspaceHandle``: one workspace and its primary sandbox, as seed-000 callers used them.

Why a handle over the SDK's services: seed-000's unit was "a workspace backed by a
container". Here that is a workspace (storage) plus its primary sandbox (the container),
and each method of the handle is one or two calls of ``workspace_sdk`` on the right id:
commands go to the sandbox, files to the workspace, token transfers through the server's
``files/tokens`` route. Nothing here speaks HTTP itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from workspace_sdk import CommandResult, FileInfo, RunCommandOptions, Sandbox, Workspace
from workspace_sdk._transfer import (
    LocalPath,
    UploadContent,
    download_to_path,
    open_for_upload,
    sync_body,
)
from workspace_sdk.errors import CLIENT_CONFIG_INVALID, WorkspaceError

from . import _calls as calls
from ._models import Checkpoint, FileToken, FileTokenOperation, PortHint
from ._paths import working_directory, workspace_path

if TYPE_CHECKING:
    from ._client import WorkspaceManagerClient

SECRET_ENV = ("SPLUNK_PASSWORD",)  # env values a handle never shows (repr of ``sandbox``)
REDACTED = "<redacted>"


def _redacted(sandbox: Sandbox | None) -> Sandbox | None:
    if sandbox is None or not sandbox.env or not any(key in sandbox.env for key in SECRET_ENV):
        return sandbox
    env = {key: REDACTED if key in SECRET_ENV else value for key, value in sandbox.env.items()}
    return dataclasses.replace(sandbox, env=env)


def _command(cmd: str | Sequence[str]) -> tuple[str, list[str]]:
    """A string runs with ``/bin/sh -c``; a list is the program and its arguments."""
    if isinstance(cmd, str):
        if not cmd.strip():
            raise ValueError("exec needs a non-empty command")
        return "/bin/sh", ["-c", cmd]
    if isinstance(cmd, (bytes, bytearray)) or not isinstance(cmd, Sequence):
        raise TypeError(f"cmd must be a str or a list of str, got {type(cmd).__name__}")
    parts = list(cmd)
    if not parts or not all(isinstance(part, str) for part in parts) or not parts[0]:
        raise ValueError(f"cmd must be a non-empty list of strings, got {cmd!r}")
    return parts[0], parts[1:]


class WorkspaceHandle:
    """A workspace and its primary sandbox; made by ``WorkspaceManagerClient``.

    ``id`` is the workspace id, ``sandbox_id`` the primary sandbox's (None when the workspace
    has none), ``workdir`` where the sandbox sees the workspace (``CONTAINER_WORKSPACE_DIR``).
    File paths are relative to the workspace; absolute paths under ``workdir`` are accepted.
    Used as a context manager, the handle deletes the workspace and its sandboxes on exit.
    """

    def __init__(
        self, client: WorkspaceManagerClient, workspace: Workspace, sandbox: Sandbox | None
    ) -> None:
        self._client = client
        self.workspace = workspace
        self.sandbox = sandbox

    @property
    def sandbox(self) -> Sandbox | None:
        """The primary sandbox as last seen (secret env values redacted)."""
        return self._sandbox

    @sandbox.setter
    def sandbox(self, sandbox: Sandbox | None) -> None:
        self._sandbox = _redacted(sandbox)

    @property
    def id(self) -> str:
        return self.workspace.id

    @property
    def sandbox_id(self) -> str | None:
        return None if self._sandbox is None else self._sandbox.id

    @property
    def name(self) -> str | None:
        return self.workspace.name

    @property
    def application_kind(self) -> str | None:
        return None if self._sandbox is None else self._sandbox.application_kind

    @property
    def workdir(self) -> str:
        return self._client.config.container_workspace_dir

    def _require_sandbox(self, action: str) -> str:
        if self._sandbox is None:
            raise WorkspaceError(
                CLIENT_CONFIG_INVALID,
                f"workspace {self.id} has no sandbox, so it cannot {action}; "
                "create one with WorkspaceManagerClient.create_workspace",
                {"workspace_id": self.id},
            )
        return self._sandbox.id

    def _path(self, path: str) -> str:
        return workspace_path(path, self.workdir)

    # Commands

    def exec(
        self,
        cmd: str | Sequence[str],
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> CommandResult:
        """Run ``cmd`` in the sandbox and wait; a non-zero exit is a result, not an error.

        A str runs with ``/bin/sh -c``; a list is the program (looked up in ``PATH``) and its
        arguments. ``cwd`` defaults to ``workdir`` (relative: inside it); ``timeout`` to
        ``exec_timeout`` (``WM_EXEC_TIMEOUT``), past which ``ProcessTimeoutError`` is raised.
        """
        sandbox_id = self._require_sandbox("run commands")
        program, args = _command(cmd)
        options = RunCommandOptions(
            args=args, env=env, cwd=working_directory(cwd, self.workdir), timeout=timeout
        )
        return self._client.sdk.process.run(sandbox_id, program, options)

    # Files through the API

    def read_file(self, path: str) -> str:
        """A file's content as UTF-8 text (``WM_FILE_TIMEOUT``, ``WM_MAX_FILE_TRANSFER_BYTES``)."""
        return self._client.sdk.workspace.read_file(self.id, self._path(path))

    def read_file_bytes(self, path: str) -> bytes:
        """A file's content as bytes."""
        return self._client.sdk.workspace.read_file_bytes(self.id, self._path(path))

    def write_file(self, path: str, content: UploadContent) -> FileInfo:
        """Create or replace a file (text as UTF-8, bytes, a binary file or chunks)."""
        return self._client.sdk.workspace.write_file(self.id, self._path(path), content)

    # Files through token URLs

    def file_token(self, path: str, operation: FileTokenOperation) -> FileToken:
        """Mint a short-lived token that uploads or downloads ``path`` without the API key.

        ``url`` is re-based on ``public_base_url`` (``WORKSPACE_PUBLIC_BASE_URL``) when set,
        so it is the address to hand to a third party.
        """
        token = self._client._http.call(calls.file_token(self.id, self._path(path), operation))
        public = self._client.config.public_base_url
        if public:
            token = dataclasses.replace(token, url=calls.rebased_url(token, public))
        return token

    def upload_url(self, path: str) -> str:
        """A URL anyone may ``PUT`` the content of ``path`` to until the token expires."""
        return self.file_token(path, "upload").url

    def download_url(self, path: str) -> str:
        """A URL anyone may ``GET`` ``path`` from until the token expires."""
        return self.file_token(path, "download").url

    def upload(self, local_path: LocalPath, remote_path: str) -> FileInfo:
        """Stream a local file to ``remote_path`` through an upload token.

        Refused before a byte is sent when larger than ``max_file_transfer_bytes``.
        """
        http = self._client._http
        with open_for_upload(local_path, http.config.max_file_transfer_bytes) as file:
            token = http.call(calls.file_token(self.id, self._path(remote_path), "upload"))
            return http.call(
                calls.token_upload(token), sync_body(file, http.config.max_file_transfer_bytes)
            )

    def download(self, remote_path: str, local_path: LocalPath) -> int:
        """Stream ``remote_path`` to ``local_path`` through a download token; return its size.

        The local file is replaced only when the whole file arrived within the transfer cap.
        """
        http = self._client._http
        token = http.call(calls.file_token(self.id, self._path(remote_path), "download"))
        call = calls.token_download(token)
        return download_to_path(lambda sink: http.download(call, sink), local_path)

    # Ports and checkpoints

    def port_hint(self, port: int) -> PortHint:
        """Host, port and authenticated proxy URL of ``port`` inside the sandbox."""
        sandbox_id = self._require_sandbox("forward ports")
        return self._client._http.call(calls.port_hint(sandbox_id, port))

    def port_url(self, port: int) -> str:
        """The authenticated proxy URL of ``port`` inside the sandbox."""
        return self.port_hint(port).url

    def checkpoint(self, name: str | None = None) -> Checkpoint:
        """Checkpoint the sandbox; ``kind`` says whether processes were kept (``process``)."""
        sandbox_id = self._require_sandbox("be checkpointed")
        return self._client._http.call(calls.create_checkpoint(sandbox_id, name))

    def checkpoints(self) -> list[Checkpoint]:
        """The sandbox's checkpoints, oldest first."""
        sandbox_id = self._require_sandbox("list checkpoints")
        return self._client._http.call(calls.list_checkpoints(sandbox_id))

    def restore(self, checkpoint_id: str) -> Sandbox:
        """Put the sandbox (and workspace) back as the checkpoint has them; return the sandbox."""
        sandbox_id = self._require_sandbox("be restored")
        self.sandbox = self._client._http.call(calls.restore_checkpoint(sandbox_id, checkpoint_id))
        return self.sandbox

    def delete_checkpoint(self, checkpoint_id: str) -> None:
        """Delete one checkpoint of the sandbox."""
        sandbox_id = self._require_sandbox("delete checkpoints")
        self._client._http.call(calls.delete_checkpoint(sandbox_id, checkpoint_id))

    # Lifecycle

    def refresh(self) -> WorkspaceHandle:
        """Fetch the workspace and its primary sandbox again; return ``self``."""
        fresh = self._client.get_workspace(self.id)
        self.workspace, self.sandbox = fresh.workspace, fresh.sandbox
        return self

    def delete(self) -> None:
        """Delete the workspace's sandboxes, then the workspace and its files."""
        self._client.delete_workspace(self.id)

    def __enter__(self) -> WorkspaceHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.delete()

    def __repr__(self) -> str:
        return (
            f"WorkspaceHandle(id={self.id!r}, sandbox_id={self.sandbox_id!r}, "
            f"workdir={self.workdir!r})"
        )
