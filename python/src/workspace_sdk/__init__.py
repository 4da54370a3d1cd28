"""Python SDK for Workspace Manager: workspaces, files, sandboxes, processes, PTYs.

Why a curated surface: everything a caller needs is importable from here, and
nothing else is, so internals (``_http``, ``_config``, ``services``) can change
without breaking anyone. See ``python/README.md`` for configuration and errors.
"""

from ._client import AsyncWorkspaceClient, WorkspaceClient
from ._config import ClientConfig
from ._version import __version__
from .errors import (
    AgentNotConnectedError,
    CommandExitError,
    ConfigurationError,
    FileNotFoundError,
    PermissionDeniedError,
    ProcessTimeoutError,
    PtyNotFoundError,
    SandboxNotFoundError,
    TemplateNotFoundError,
    WorkspaceError,
    WorkspaceNotFoundError,
)
from .models import (
    CommandResult,
    CreateSandboxParams,
    CreateWorkspaceParams,
    FileInfo,
    FileType,
    ProcessEvent,
    ProcessInfo,
    ProcessState,
    PtyOptions,
    RunCommandOptions,
    Sandbox,
    SandboxState,
    Workspace,
)

__all__ = [
    "AgentNotConnectedError",
    "AsyncWorkspaceClient",
    "ClientConfig",
    "CommandExitError",
    "CommandResult",
    "ConfigurationError",
    "CreateSandboxParams",
    "CreateWorkspaceParams",
    "FileInfo",
    "FileNotFoundError",
    "FileType",
    "PermissionDeniedError",
    "ProcessEvent",
    "ProcessInfo",
    "ProcessState",
    "ProcessTimeoutError",
    "PtyNotFoundError",
    "PtyOptions",
    "RunCommandOptions",
    "Sandbox",
    "SandboxNotFoundError",
    "SandboxState",
    "TemplateNotFoundError",
    "Workspace",
    "WorkspaceClient",
    "WorkspaceError",
    "WorkspaceNotFoundError",
    "__version__",
]
