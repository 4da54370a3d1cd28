"""The local side of ``client.nfs``: running ``mount``/``umount`` and reading the mount table.

Why a ``LocalSystem`` object: everything that touches this machine (the platform, running a
command, finding a tool, being root, the mount table) goes through one small class, so the
tests swap in a fake one and check every argv and error without privileges or a kernel NFS
client. Commands run without a shell, as an argv list, with stdin closed; ``mount`` and
``umount`` are looked up on ``PATH`` and then in the ``sbin`` directories, which a normal
user's ``PATH`` often lacks.

Errors (all ``WorkspaceError`` code 9005, ``details["reason"]`` naming the case):
``tools-missing`` (nothing to mount NFS with: the message names the package),
``permission`` (raised as ``PermissionDeniedError``, suggesting sudo), ``already-mounted``,
``not-mounted``, ``bad-mount-point``, and ``mount-failed`` / ``umount-failed`` carrying what
the command printed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from ._mount_table import (
    MountEntry,
    find_mount,
    parse_bsd_mount,
    parse_mountinfo,
    parse_proc_mounts,
)
from ._nfs_command import (
    MountOptions,
    NfsTarget,
    mount_argv,
    nfs_error,
    platform_kind,
    umount_argv,
)
from .errors import CLIENT_NFS_FAILED, PermissionDeniedError, WorkspaceError

SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
NFS_CLIENT_PACKAGES = (
    "nfs-common (Debian/Ubuntu: sudo apt-get install nfs-common) or nfs-utils (Fedora/RHEL/Arch)"
)
_UNPRIVILEGED = re.compile(r"superuser|root|not permitted|permission denied", re.IGNORECASE)
_NO_KERNEL_NFS = re.compile(r"unknown filesystem type|no such device", re.IGNORECASE)


@dataclass(frozen=True)
class CommandOutcome:
    """What a command did: exit code and its output as text."""

    returncode: int
    stdout: str
    stderr: str


class LocalSystem:
    """This machine, as ``client.nfs`` uses it. Tests replace it with a fake."""

    def __init__(self, platform: str | None = None) -> None:
        self.platform = platform or sys.platform

    def find_tool(self, name: str) -> str | None:
        """Path of the program ``name`` on ``PATH`` or in the sbin directories, else None."""
        search = os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN_DIRS])
        return shutil.which(name, path=search)

    def run(self, argv: Sequence[str]) -> CommandOutcome:
        """Run ``argv`` (no shell) and wait; ``FileNotFoundError`` if the program is missing."""
        program = self.find_tool(argv[0]) or argv[0]
        done = subprocess.run(
            [program, *argv[1:]],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            check=False,
        )
        return CommandOutcome(done.returncode, done.stdout, done.stderr)

    def is_root(self) -> bool:
        """True when running with root privileges."""
        return hasattr(os, "geteuid") and os.geteuid() == 0

    def mount_table(self) -> list[MountEntry]:
        """Every mounted filesystem: ``/proc/self/mountinfo`` on Linux, ``mount`` on macOS."""
        if platform_kind(self.platform) == "linux":
            try:
                with open("/proc/self/mountinfo", "rb") as file:
                    return parse_mountinfo(file.read())
            except OSError:
                with open("/proc/mounts", "rb") as file:
                    return parse_proc_mounts(file.read())
        outcome = self.run(["mount"])
        if outcome.returncode != 0:
            raise nfs_error("mount-failed", f"mount could not list mounts: {outcome.stderr}")
        return parse_bsd_mount(outcome.stdout)


def absolute(path: str | os.PathLike[str]) -> str:
    """``path`` with ``~`` expanded, made absolute and normalised (symlinks kept)."""
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


class LocalNfs:
    """Mounts, unmounts and inspects mounts on one ``LocalSystem``."""

    def __init__(self, system: LocalSystem | None = None) -> None:
        self.system = system or LocalSystem()

    def check_platform(self) -> None:
        """Raise code 9005 (``unsupported-platform``) unless on Linux or macOS."""
        platform_kind(self.system.platform)

    def mount(
        self,
        target: NfsTarget,
        mount_point: str | os.PathLike[str],
        *,
        version: str | float,
        read_only: bool,
        options: MountOptions,
    ) -> str:
        """Mount ``target`` on ``mount_point`` (made if missing) and return it, absolute."""
        point = absolute(mount_point)
        argv = mount_argv(
            self.system.platform,
            target,
            point,
            version=version,
            read_only=read_only,
            options=options,
        )
        self._check_nfs_client()
        if self.find(point)[0] is not None:
            raise nfs_error(
                "already-mounted", f"{point} is already an NFS mount point; unmount it first"
            )
        created = self._prepare_mount_point(point)
        try:
            self._run(argv)
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    os.rmdir(point)
            raise
        return point

    def find(self, path: str | os.PathLike[str]) -> tuple[MountEntry | None, str]:
        """The NFS mount on ``path`` (compared as given, then with symlinks resolved), and path.

        The given path is tried first so that a mount whose server is gone is found
        without touching it (resolving a path through a dead NFS mount can hang).
        """
        point = absolute(path)
        entries = self.system.mount_table()
        entry = find_mount(entries, point)
        if entry is None:
            real = os.path.realpath(point)
            entry = find_mount(entries, real) if real != point else None
        return (entry if entry is not None and entry.is_nfs else None), point

    def unmount(self, path: str | os.PathLike[str], *, force: bool) -> None:
        """``umount`` the NFS mount on ``path``; code 9005 ``not-mounted`` if there is none."""
        self.check_platform()
        entry, point = self.find(path)
        if entry is None:
            raise nfs_error("not-mounted", f"{point} is not an NFS mount point")
        self._run(umount_argv(self.system.platform, entry.mount_point, force=force))

    def _check_nfs_client(self) -> None:
        # Linux needs nfs-utils' mount helper; macOS ships mount_nfs with the system.
        if platform_kind(self.system.platform) == "linux" and not self.system.find_tool(
            "mount.nfs"
        ):
            raise nfs_error(
                "tools-missing",
                f"the NFS client is not installed (no mount.nfs): install {NFS_CLIENT_PACKAGES}",
            )

    def _prepare_mount_point(self, point: str) -> bool:
        """Make ``point`` if missing; True if it was made here (and so is removed on failure)."""
        if os.path.isdir(point):
            return False
        if os.path.lexists(point):
            raise nfs_error("bad-mount-point", f"the mount point {point} is not a directory")
        try:
            os.makedirs(point)
        except PermissionError:
            raise _permission_error(
                f"cannot create the mount point {point}: permission denied; create it first "
                "or run as root (e.g. with sudo)",
                point=point,
            ) from None
        except OSError as error:
            raise nfs_error(
                "bad-mount-point", f"cannot create the mount point {point}: {error.strerror}"
            ) from None
        return True

    def _run(self, argv: list[str]) -> None:
        name = argv[0]
        try:
            outcome = self.system.run(argv)
        except FileNotFoundError:
            where = (
                "it is part of macOS: check PATH"
                if self.system.platform == "darwin"
                else "install util-linux (Debian/Ubuntu: the mount package)"
            )
            raise nfs_error(
                "tools-missing", f"{name} was not found: {where}", command=argv
            ) from None
        except PermissionError:
            raise _permission_error(
                f"{name} could not be run: permission denied", command=argv
            ) from None
        if outcome.returncode == 0:
            return
        raise self._failure(argv, outcome)

    def _failure(self, argv: list[str], outcome: CommandOutcome) -> WorkspaceError:
        stderr = (outcome.stderr.strip() or outcome.stdout.strip())[-2000:]
        details = {"command": argv, "exit_code": outcome.returncode, "stderr": stderr}
        name = argv[0]
        if not self.system.is_root() and _UNPRIVILEGED.search(stderr):
            message = (
                f"{name} needs root privileges: run as root (e.g. with sudo). {name}: {stderr}"
            )
            return _permission_error(message, **details)
        if name == "mount" and _NO_KERNEL_NFS.search(stderr):
            message = (
                "this kernel has no NFS client (load it with sudo modprobe nfs, or install "
                f"{NFS_CLIENT_PACKAGES}). mount: {stderr}"
            )
            return nfs_error("tools-missing", message, **details)
        hint = ""
        if name == "umount" and "busy" in stderr.lower():
            hint = " (close the files and shells using it, or unmount with force=True)"
        message = f"{' '.join(argv)} failed with exit code {outcome.returncode}: {stderr}{hint}"
        return nfs_error(f"{name}-failed", message, **details)


def _permission_error(message: str, **details: object) -> PermissionDeniedError:
    return PermissionDeniedError(CLIENT_NFS_FAILED, message, {"reason": "permission", **details})
