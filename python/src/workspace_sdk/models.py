"""The SDK's data types, exactly as the SDK README (the contract) defines them.

Why plain dataclasses: the wire format is snake_case JSON with the same field
names (DESIGN.md decision 8), so a response maps onto these types field for field
and callers get attribute access, equality and a readable repr for free. Parsing
ignores fields this version does not know, so a newer server never breaks an
older client (see ``_parse.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SandboxState = Literal[
    "starting", "running", "pausing", "paused", "resuming", "stopping", "stopped", "error"
]
"""Lifecycle of a sandbox: starting -> running, running -> pausing -> paused -> resuming ->
running, running -> stopping -> stopped -> starting -> running, or error."""

LifecycleAction = Literal["delete", "stop", "pause"]
"""What the server does to a sandbox when it has been idle, or when its timeout passes."""

DesiredState = Literal["running", "paused", "stopped", "deleted"]
"""What the server is driving a sandbox to (``deleted`` while it is being removed)."""

FileType = Literal["file", "directory", "symlink"]
"""Kind of a workspace entry; symlinks are listed but never followed by the server."""

NetworkMode = Literal["none", "allowlist", "open"]
"""A sandbox's network: none at all, only an allow list, or the internet (never private,
link-local or metadata addresses). The legacy ``network_mode="bridge"`` is unfiltered."""


@dataclass
class NetworkPolicy:
    """What a sandbox may reach, enforced outside it by the server's egress gateway.

    ``allow`` is for mode ``allowlist`` only: host names (``api.example.com``,
    ``*.example.com``), addresses or CIDRs (``10.0.0.0/8``, ``[2001:db8::/32]``), each
    with an optional ``:port``.
    """

    mode: NetworkMode
    allow: list[str] | None = None


@dataclass
class DeniedDestination:
    """A destination the gateway refused a sandbox (``port`` None: a name lookup)."""

    host: str
    at: str
    port: int | None = None


@dataclass
class NetworkDenials:
    """How many requests the gateway refused a sandbox, and the latest (newest first)."""

    count: int
    recent: list[DeniedDestination]


@dataclass
class NetworkStatus:
    """A sandbox's network policy now, and what it was refused."""

    mode: str  # "none", "allowlist", "open" or the legacy "bridge"
    allow: list[str]
    denied: NetworkDenials


@dataclass
class Secret:
    """A secret a sandbox uses without holding it.

    The sandbox's environment gets a placeholder under the secret's name; the server's egress
    gateway puts ``value`` in place of the placeholder in requests to ``hosts`` only (headers
    and the request target; HTTPS through a CA of the sandbox's own that it trusts). ``hosts``
    are host names (``api.example.com``, ``*.example.com``). Needs network mode ``allowlist``
    or ``open`` to reach anything. ``value`` is left out of ``repr``.
    """

    value: str = field(repr=False)
    hosts: list[str] = field(default_factory=list)


@dataclass
class SecretStatus:
    """A sandbox's secret as the server shows it: the hosts it goes to, never its value."""

    hosts: list[str]


@dataclass
class Workspace:
    """Persistent storage (a directory tree) that sandboxes mount at ``/workspace``."""

    id: str
    created_at: str
    updated_at: str
    name: str | None = None
    nfs_url: str | None = None  # NFS mount URL, None until the server exports workspaces
    metadata: dict[str, str] | None = None
    quota_bytes: int | None = None  # disk quota the kernel enforces; None: unlimited
    used_bytes: int | None = None  # bytes used as the quota counts them; None: not counted


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
    timeout: int | None = None  # seconds until ``on_timeout`` acts (by default: removed)
    error_message: str | None = None
    # Fields the server adds beyond the contract; None when a server does not send them.
    cpu: float | None = None  # CPU limit in cores
    memory: int | None = None  # memory limit in bytes (no swap beyond it)
    network_mode: str | None = None  # "none", "allowlist", "open" or "bridge"
    application_kind: str | None = None
    expires_at: str | None = None  # when ``timeout`` stops the sandbox
    last_activity_at: str | None = None  # last API activity; the idle janitor goes by it
    on_idle: LifecycleAction | None = None  # what happens once it has been idle
    on_timeout: LifecycleAction | None = None  # what happens once ``timeout`` passes
    auto_resume: bool | None = None  # calls that need it running start or resume it first
    desired_state: DesiredState | None = None  # the state the server is driving it to (informative)
    network: NetworkStatus | None = None  # the policy and what the gateway refused
    disk_bytes: int | None = None  # what it may write to its root filesystem; None: unlimited
    secrets: dict[str, SecretStatus] | None = None  # names and hosts of its secrets, never values


@dataclass
class CommandResult:
    """Outcome of a command run to completion."""

    exit_code: int
    stdout: str
    stderr: str
    pid: int | None = None
    truncated: bool = False  # the server kept only the first 16 MiB of a stream


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
    # Disk quota in bytes (at least 1 MiB); None: the server's default (WM_WORKSPACE_QUOTA_BYTES).
    quota_bytes: int | None = None


@dataclass
class CreateSandboxParams:
    """Body of ``client.sandbox.create``; ``timeout`` is in seconds."""

    workspace_id: str
    template: str | None = None  # None: the server's default template
    name: str | None = None
    env: dict[str, str] | None = None
    metadata: dict[str, str] | None = None
    timeout: int | None = None
    cpu: str | float | None = None  # cores, or "1c" / "500m"
    memory: str | int | None = None  # bytes, or "512m" / "2g"
    network_mode: str | None = None
    application_kind: str | None = None
    # None: the server's default (WORKSPACE_IDLE_ACTION, "delete" unless configured).
    on_idle: LifecycleAction | None = None
    on_timeout: LifecycleAction | None = None
    # None: the server's default, True when on_idle or on_timeout is "stop" or "pause".
    auto_resume: bool | None = None
    network: NetworkPolicy | None = None  # with an allow list; must agree with network_mode
    # What it may write to its root filesystem (outside the workspace): bytes, or "512m" /
    # "2GiB", at least 1 MiB; writes past it fail with "Disk quota exceeded". None: the
    # server's default (WM_SANDBOX_DISK_BYTES, else unlimited).
    disk_bytes: str | int | None = None
    # Secrets by environment variable name: the sandbox sees a placeholder, the hosts of each
    # get its value. A name may not also be in ``env``.
    secrets: dict[str, Secret] | None = None


@dataclass
class RunCommandOptions:
    """Options of ``client.process.run`` and ``run_stream``.

    ``timeout`` is in seconds (fractions allowed): past it the server kills the whole
    process group. ``stdin`` is text written then closed, or ``True`` to keep stdin open
    for ``client.process.send_stdin``.
    """

    args: list[str] | None = None
    env: dict[str, str] | None = None
    cwd: str | None = None  # default: the workspace directory (/workspace)
    timeout: float | None = None
    stdin: str | bool | None = None


ProcessState = Literal["running", "exited"]


@dataclass
class ProcessInfo:
    """A process as ``client.process.list`` reports it (running, or recently ended)."""

    pid: int
    cmd: str
    args: list[str]
    state: ProcessState
    started_at: str
    exit_code: int | None = None
    timed_out: bool = False
    ended_at: str | None = None


@dataclass
class ProcessEvent:
    """One event of ``run_stream`` / ``attach``.

    ``type`` is ``"start"`` (``pid``), ``"stdout"`` / ``"stderr"`` (``data``), ``"exit"``
    (``code``, ``timed_out``) or ``"error"`` (``message``); a type this version does not
    know is passed through. ``id`` is the event's sequence number (resume with
    ``attach(..., after=id)``); ``dropped`` counts output bytes lost to the server's
    bounded buffer just before this event.
    """

    type: str
    data: str = ""
    code: int | None = None
    message: str | None = None
    pid: int | None = None
    timed_out: bool = False
    dropped: int | None = None
    id: str | None = None


@dataclass
class PtyOptions:
    """Options of ``client.pty.connect``: terminal size, shell and environment."""

    cols: int = 80
    rows: int = 24
    shell: str | None = None
    env: dict[str, str] | None = None


@dataclass
class ReplicaStatus:
    """Where the server that answered stands among the replicas sharing one store."""

    id: str  # the answering server's name (WM_REPLICA_ID, default "<hostname>:<port>")
    leader: bool  # True on the replica holding the leader lease (it does the background work)
    leader_id: str | None  # the lease holder as last seen in the store; None before any took it


@dataclass
class ServerHealth:
    """Reply of ``client.server.health()``: the server is up, its version and replica."""

    status: str  # always "ok" when the server answers at all
    version: str
    replica: ReplicaStatus


@dataclass
class ServerReadiness:
    """Outcome of ``client.server.ready()``: whether every dependency of the server answers.

    ``checks`` holds each check by name (``store``, ``engine``, ...): ``"ok"``, or why it failed.
    """

    ready: bool
    checks: dict[str, str]
