"""Python SDK for Workspace Manager: workspaces, files, sandboxes, processes, PTYs.

Why a curated surface: everything a caller needs is importable from here, and
nothing else is, so internals (``_http``, ``_config``, ``services``) can change
without breaking anyone. See ``python/README.md`` for configuration and errors.
"""

from typing import TYPE_CHECKING, Any

from ._client import AsyncWorkspaceClient, WorkspaceClient
from ._config import ClientConfig
from ._event_stream import ProcessEventStream
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
    DeniedDestination,
    DesiredState,
    FileInfo,
    FileType,
    LifecycleAction,
    NetworkDenials,
    NetworkMode,
    NetworkPolicy,
    NetworkStatus,
    ProcessEvent,
    ProcessInfo,
    ProcessState,
    PtyOptions,
    ReplicaStatus,
    RunCommandOptions,
    Sandbox,
    SandboxState,
    Secret,
    SecretStatus,
    ServerHealth,
    ServerReadiness,
    Workspace,
)

if TYPE_CHECKING:
    from ._pty_session import PtySession

__all__ = [
    "AgentNotConnectedError",
    "AsyncWorkspaceClient",
    "ClientConfig",
    "CommandExitError",
    "CommandResult",
    "ConfigurationError",
    "CreateSandboxParams",
    "CreateWorkspaceParams",
    "DeniedDestination",
    "DesiredState",
    "FileInfo",
    "FileNotFoundError",
    "FileType",
    "LifecycleAction",
    "NetworkDenials",
    "NetworkMode",
    "NetworkPolicy",
    "NetworkStatus",
    "PermissionDeniedError",
    "ProcessEvent",
    "ProcessEventStream",
    "ProcessInfo",
    "ProcessState",
    "ProcessTimeoutError",
    "PtyNotFoundError",
    "PtyOptions",
    "PtySession",
    "ReplicaStatus",
    "RunCommandOptions",
    "Sandbox",
    "SandboxNotFoundError",
    "SandboxState",
    "Secret",
    "SecretStatus",
    "ServerHealth",
    "ServerReadiness",
    "TemplateNotFoundError",
    "Workspace",
    "WorkspaceClient",
    "WorkspaceError",
    "WorkspaceNotFoundError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # PtySession needs asyncio and websockets; importing it lazily keeps the blocking
    # client free of asyncio (see services/pty.py).
    if name == "PtySession":
        from ._pty_session import PtySession

        return PtySession
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
