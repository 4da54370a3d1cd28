"""Where a workspace is served over NFS, and the ``mount``/``umount`` command lines for it.

Why pure functions: what ``client.nfs`` runs is decided here from plain values (the
workspace's ``nfs_url``, the client's ``nfs_host``/``nfs_port``, the platform), so the
exact argv can be tested on any machine, without privileges or a kernel NFS client,
and shown to users (``mount_command``) without running anything.

The options follow the server (README, "Mount a workspace"): TCP only; NFSv3 needs the
MOUNT port (the NFS port + 1 unless told otherwise) and ``nolock`` because the server runs
no NLM; every mount is ``nosuid,nodev``. macOS's client speaks NFSv4.0 only, so any 4.x
asks it for ``vers=4``; it takes ``resvport`` (the exports require a privileged source
port), ``nolocks`` and ``rdonly`` where Linux takes ``nolock`` and ``ro``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import CLIENT_BAD_RESPONSE, CLIENT_NFS_FAILED, WorkspaceError

VERSIONS = ("3", "4", "4.0", "4.1", "4.2")
DEFAULT_VERSION = "4.1"
DEFAULT_NFS_PORT = 2049
MountOptions = Sequence[str] | str | None


@dataclass(frozen=True)
class NfsTarget:
    """One export: the server's host (IPv6 without brackets), NFS port, and export path."""

    host: str
    port: int
    export_path: str

    @property
    def spec(self) -> str:
        """``host:/path`` as ``mount`` takes it; an IPv6 host goes in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.export_path}"


def nfs_error(reason: str, message: str, **details: object) -> WorkspaceError:
    """A client-side NFS failure (code 9005) with ``details["reason"]``."""
    return WorkspaceError(CLIENT_NFS_FAILED, message, {"reason": reason, **details})


def parse_nfs_url(nfs_url: str) -> NfsTarget:
    """Split ``nfs://host:port/path``; a URL this client cannot read raises code 9003."""
    try:
        parts = urlsplit(nfs_url)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
        parts = None
    if parts is None or parts.scheme.lower() != "nfs" or not host or not parts.path.startswith("/"):
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE,
            f"the server sent an nfs_url this client cannot read: {nfs_url!r}",
            {"nfs_url": nfs_url},
        )
    return NfsTarget(host, port or DEFAULT_NFS_PORT, unquote(parts.path))


def resolve_target(
    nfs_url: str | None,
    *,
    host: str | None = None,
    port: int | None = None,
    api_host: str = "",
) -> NfsTarget:
    """The export to mount: ``nfs_url``, with ``host``/``port`` (client settings) overriding it.

    A URL naming an unspecified address (``0.0.0.0``, ``::``: a server listening on every
    interface) is reached at ``api_host``, the host of the API URL. ``nfs_url`` None (NFS
    off on the server) raises code 9005 with reason ``nfs-disabled``.
    """
    if not nfs_url:
        raise nfs_error(
            "nfs-disabled",
            "NFS is not enabled on the server: this workspace has no nfs_url "
            "(the server runs NFS-Ganesha when it is installed, see WM_NFS_ENABLED)",
        )
    target = parse_nfs_url(nfs_url)
    chosen = host or target.host
    if not host and _is_unspecified(chosen) and api_host:
        chosen = api_host.strip("[]")
    return NfsTarget(chosen, port or target.port, target.export_path)


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def platform_kind(platform: str) -> str:
    """``linux`` or ``darwin`` for ``sys.platform``; any other platform raises code 9005."""
    if platform.startswith("linux"):
        return "linux"
    if platform == "darwin":
        return "darwin"
    raise nfs_error(
        "unsupported-platform",
        f"mounting workspaces over NFS is supported on Linux and macOS, not on {platform!r}",
    )


def normalize_version(version: str | float) -> str:
    """``3``, ``4``, ``4.0``, ``4.1`` or ``4.2`` (a leading ``v`` and numbers accepted)."""
    text = str(version).strip().lower().removeprefix("v")
    if isinstance(version, bool) or text not in VERSIONS:
        raise ValueError(f"NFS version must be one of {', '.join(VERSIONS)}, got {version!r}")
    return text


def _option_list(options: MountOptions) -> list[str]:
    items = options.split(",") if isinstance(options, str) else list(options or [])
    for item in items:
        if not isinstance(item, str) or not item or any(c in item for c in ", \t\r\n"):
            raise ValueError(f"a mount option is one word such as soft or timeo=50, got {item!r}")
    return items


def _key(option: str) -> str:
    return option.split("=", 1)[0]


def merge_options(base: list[str], extra: MountOptions) -> list[str]:
    """``base`` with each extra option replacing the one of the same name, or appended."""
    merged = list(base)
    for option in _option_list(extra):
        same = [i for i, present in enumerate(merged) if _key(present) == _key(option)]
        if same:
            merged[same[0]] = option
        else:
            merged.append(option)
    return merged


def mount_options(
    platform: str, port: int, version: str, read_only: bool, extra: MountOptions = None
) -> list[str]:
    """The ``-o`` options, in order, for ``platform`` (``linux`` or ``darwin``)."""
    v3 = version == "3"
    mount_port = [f"mountport={port + 1}"] if v3 and port < 65535 else []
    if platform == "linux":
        options = [f"vers={version}", f"port={port}"]
        if v3:
            options += [*mount_port, "mountproto=tcp", "nolock"]
        options += ["proto=tcp", "nosuid", "nodev"] + (["ro"] if read_only else [])
    else:
        options = [f"vers={'3' if v3 else '4'}", f"port={port}"]
        if v3:
            options += [*mount_port, "nolocks"]
        options += ["proto=tcp", "resvport", "nosuid", "nodev"]
        options += ["rdonly"] if read_only else []
    return merge_options(options, extra)


def mount_argv(
    platform: str,
    target: NfsTarget,
    mount_point: str,
    *,
    version: str | float = DEFAULT_VERSION,
    read_only: bool = False,
    options: MountOptions = None,
) -> list[str]:
    """``mount -t nfs -o OPTIONS host:/path MOUNT_POINT`` for ``sys.platform`` ``platform``."""
    kind = platform_kind(platform)
    opts = mount_options(kind, target.port, normalize_version(version), read_only, options)
    return ["mount", "-t", "nfs", "-o", ",".join(opts), target.spec, mount_point]


def umount_argv(platform: str, mount_point: str, *, force: bool = False) -> list[str]:
    """``umount [-f] MOUNT_POINT`` (the same on Linux and macOS)."""
    platform_kind(platform)
    return ["umount", *(["-f"] if force else []), mount_point]
