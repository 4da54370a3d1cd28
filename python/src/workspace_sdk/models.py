"""The SDK's data types, exactly as the SDK README (the contract) defines them.

Why plain dataclasses: the wire format is snake_case JSON with the same field
names (DESIGN.md decision 8), so a response maps onto these types field for field
and callers get attribute access, equality and a readable repr for free. Parsing
ignores fields this version does not know, so a newer server never breaks an
older client (see ``_parse.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SandboxState = Literal["starting", "running", "stopping", "stopped", "error"]
"""Lifecycle of a sandbox: starting -> running -> stopping -> stopped, or error."""

FileType = Literal["file", "directory", "symlink"]
"""Kind of a workspace entry; symlinks are listed but never followed by the server."""


@dataclass
class Workspace:
    """Persistent storage (a directory tree) that sandboxes mount at ``/workspace``."""

    id: str
    created_at: str
    updated_at: str
    name: str | None = None
    nfs_url: str | None = None  # NFS mount URL, None until the server exports workspaces
    metadata: dict[str, str] | None = None


@dataclass
class Sandbox:
    """A container started from a template, bound to exactly one workspace."""

    id: str
    workspace_id: str
    template: str
    state: SandboxState
    created_at: str
    updated_at: str
    name: str | None = None
    env: dict[str, str] | None = None
    metadata: dict[str, str] | None = None
    timeout: int | None = None  # seconds until the sandbox is stopped and removed
    error_message: str | None = None


@dataclass
class CommandResult:
    """Outcome of a command run to completion."""

    exit_code: int
    stdout: str
    stderr: str


@dataclass
class FileInfo:
    """One workspace entry; ``path`` is relative to the workspace root, ``size`` in bytes."""

    name: str
    path: str
    type: FileType
    size: int
    modified_at: str | None = None


@dataclass
class CreateWorkspaceParams:
    """Body of ``client.workspace.create``."""

    name: str | None = None
    metadata: dict[str, str] | None = None


@dataclass
class CreateSandboxParams:
    """Body of ``client.sandbox.create``; ``timeout`` is in seconds."""

    workspace_id: str
    template: str | None = None  # None: the server's default template
    name: str | None = None
    env: dict[str, str] | None = None
    metadata: dict[str, str] | None = None
    timeout: int | None = None
    cpu: str | None = None
    memory: str | None = None
    network_mode: str | None = None
    application_kind: str | None = None


@dataclass
class RunCommandOptions:
    """Options of ``client.process.run``; ``timeout`` is in seconds."""

    args: list[str] | None = None
    env: dict[str, str] | None = None
    cwd: str | None = None
    timeout: int | None = None
    stdin: str | None = None


@dataclass
class PtyOptions:
    """Options of ``client.pty.connect``: terminal size, shell and environment."""

    cols: int = 80
    rows: int = 24
    shell: str | None = None
    env: dict[str, str] | None = None
