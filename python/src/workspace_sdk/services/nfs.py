"""``client.nfs``: mount a workspace's NFS export on this machine, check it, unmount it.

Why here and not on the server: mounting happens on the caller's machine, with its kernel
NFS client and its privileges. The service asks the API for the workspace (its
``nfs_url`` says where the export is; ``None`` means NFS is off on the server), applies the
client's ``nfs_host`` / ``nfs_port`` if set, and runs the platform's ``mount`` (see
``_nfs_command`` for the exact options and ``_local_nfs`` for how it runs and fails).

``is_mounted`` answers for NFS mounts only (types ``nfs`` and ``nfs4``): the question is
whether a workspace is mounted there, and ``unmount`` refuses anything else, so it never
unmounts a local disk by mistake. Mounting and unmounting need root on both Linux and
macOS (the exports only accept privileged source ports); without it they raise
``PermissionDeniedError`` suggesting sudo. The asyncio service runs the commands in a
worker thread, so a slow ``mount`` never blocks the event loop.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .._config import ClientConfig
from .._http import AsyncHTTP, SyncHTTP
from .._local_nfs import LocalNfs, LocalSystem, absolute
from .._nfs_command import (
    DEFAULT_VERSION,
    MountOptions,
    NfsTarget,
    merge_options,
    mount_argv,
    normalize_version,
    resolve_target,
)
from ..models import Workspace
from . import _workspace_calls as calls

PathArg = str | os.PathLike[str]


def _target(workspace: Workspace, config: ClientConfig) -> NfsTarget:
    api_host = urlsplit(config.api_url).hostname or ""
    return resolve_target(
        workspace.nfs_url, host=config.nfs_host, port=config.nfs_port, api_host=api_host
    )


def _check_arguments(local: LocalNfs, version: str | float, options: MountOptions) -> None:
    """Fail on a bad argument or platform before asking the server anything."""
    normalize_version(version)
    merge_options([], options)
    local.check_platform()


def _command(
    local: LocalNfs,
    target: NfsTarget,
    mount_point: PathArg,
    version: str | float,
    read_only: bool,
    options: MountOptions,
) -> list[str]:
    platform = local.system.platform
    return mount_argv(
        platform,
        target,
        absolute(mount_point),
        version=version,
        read_only=read_only,
        options=options,
    )


class NfsService:
    """Workspaces mounted over NFS, blocking. Reached as ``client.nfs``."""

    def __init__(self, http: SyncHTTP, system: LocalSystem | None = None) -> None:
        self._http = http
        self._local = LocalNfs(system)

    def mount(
        self,
        workspace_id: str,
        mount_point: PathArg,
        *,
        version: str | float = DEFAULT_VERSION,
        read_only: bool = False,
        options: MountOptions = None,
    ) -> str:
        """Mount the workspace on ``mount_point`` (made if missing); return it as an absolute path.

        ``version``: ``"4.1"`` (default), ``"3"``, ``"4"``, ``"4.0"``, ``"4.2"``;
        ``options``: extra ``mount -o`` options (a list, or one comma-separated string),
        each replacing the built-in option of the same name (e.g. ``mountport=2050``).
        """
        _check_arguments(self._local, version, options)
        workspace = self._http.call(calls.get(workspace_id))
        target = _target(workspace, self._http.config)
        return self._local.mount(
            target, mount_point, version=version, read_only=read_only, options=options
        )

    def mount_command(
        self,
        workspace_id: str,
        mount_point: PathArg,
        *,
        version: str | float = DEFAULT_VERSION,
        read_only: bool = False,
        options: MountOptions = None,
    ) -> list[str]:
        """The argv ``mount`` would run for the same arguments, without running it."""
        _check_arguments(self._local, version, options)
        target = _target(self._http.call(calls.get(workspace_id)), self._http.config)
        return _command(self._local, target, mount_point, version, read_only, options)

    def is_mounted(self, path: PathArg) -> bool:
        """True if an NFS filesystem is mounted on ``path`` (symlinks resolved)."""
        return self._local.find(path)[0] is not None

    def unmount(self, path: PathArg, *, force: bool = False) -> None:
        """``umount`` the NFS mount on ``path`` (``force``: ``umount -f``, for a dead server)."""
        self._local.unmount(path, force=force)


class AsyncNfsService:
    """Workspaces mounted over NFS, asyncio. Same methods as ``NfsService``."""

    def __init__(self, http: AsyncHTTP, system: LocalSystem | None = None) -> None:
        self._http = http
        self._local = LocalNfs(system)

    async def mount(
        self,
        workspace_id: str,
        mount_point: PathArg,
        *,
        version: str | float = DEFAULT_VERSION,
        read_only: bool = False,
        options: MountOptions = None,
    ) -> str:
        """Mount the workspace on ``mount_point``; see ``NfsService.mount``."""
        import asyncio  # not at module level: the blocking client never imports asyncio

        _check_arguments(self._local, version, options)
        workspace = await self._http.call(calls.get(workspace_id))
        target = _target(workspace, self._http.config)
        return await asyncio.to_thread(
            lambda: self._local.mount(
                target, mount_point, version=version, read_only=read_only, options=options
            )
        )

    async def mount_command(
        self,
        workspace_id: str,
        mount_point: PathArg,
        *,
        version: str | float = DEFAULT_VERSION,
        read_only: bool = False,
        options: MountOptions = None,
    ) -> list[str]:
        """The argv ``mount`` would run, without running it; see ``NfsService.mount``."""
        _check_arguments(self._local, version, options)
        target = _target(await self._http.call(calls.get(workspace_id)), self._http.config)
        return _command(self._local, target, mount_point, version, read_only, options)

    async def is_mounted(self, path: PathArg) -> bool:
        """True if an NFS filesystem is mounted on ``path`` (symlinks resolved)."""
        import asyncio

        entry, _ = await asyncio.to_thread(self._local.find, path)
        return entry is not None

    async def unmount(self, path: PathArg, *, force: bool = False) -> None:
        """``umount`` the NFS mount on ``path``; see ``NfsService.unmount``."""
        import asyncio

        await asyncio.to_thread(lambda: self._local.unmount(path, force=force))
