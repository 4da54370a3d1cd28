"""Reading the mount table: which paths are mount points, of which type, from where.

Why parse it ourselves: ``os.path.ismount`` answers for any filesystem and cannot say
whether an NFS workspace is mounted; the kernel's table can. Linux publishes it in
``/proc/self/mountinfo`` (``/proc/mounts`` as a fallback), where spaces, tabs, newlines
and backslashes in paths are written as octal escapes (``\\040``); it is read as bytes
so paths that are not UTF-8 survive. macOS has no such file: ``mount`` prints
``source on /mount/point (type, option, ...)`` with paths unescaped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

NFS_TYPES = frozenset({"nfs", "nfs4"})
_OCTAL = re.compile(rb"\\([0-7]{3})")
_BSD_LINE = re.compile(r"^(?P<source>.+?) on (?P<point>.+) \((?P<type>[^,()]+)(?:, [^()]*)?\)$")


@dataclass(frozen=True)
class MountEntry:
    """One mounted filesystem."""

    mount_point: str
    fstype: str
    source: str

    @property
    def is_nfs(self) -> bool:
        """True for ``nfs`` and ``nfs4`` (Linux names NFSv4 mounts ``nfs4``)."""
        return self.fstype in NFS_TYPES


def unescape(field: bytes) -> str:
    """Undo the kernel's octal escapes (``\\040`` is a space) and decode as a file name."""
    return os.fsdecode(_OCTAL.sub(lambda match: bytes([int(match.group(1), 8)]), field))


def parse_mountinfo(data: bytes) -> list[MountEntry]:
    """Entries of ``/proc/self/mountinfo``, in order (a later entry is mounted on top).

    A line is ``id parent major:minor root MOUNT_POINT options [optional...] - TYPE SOURCE
    super-options``; lines that do not have that shape are skipped.
    """
    entries = []
    for line in data.splitlines():
        fields = line.split(b" ")
        try:
            separator = fields.index(b"-", 6)
        except ValueError:
            continue
        if len(fields) < separator + 3:
            continue
        entries.append(
            MountEntry(
                unescape(fields[4]),
                unescape(fields[separator + 1]),
                unescape(fields[separator + 2]),
            )
        )
    return entries


def parse_proc_mounts(data: bytes) -> list[MountEntry]:
    """Entries of ``/proc/mounts`` (``SOURCE MOUNT_POINT TYPE options 0 0``)."""
    entries = []
    for line in data.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            entries.append(
                MountEntry(unescape(fields[1]), unescape(fields[2]), unescape(fields[0]))
            )
    return entries


def parse_bsd_mount(text: str) -> list[MountEntry]:
    """Entries of macOS ``mount`` output: ``host:/path on /Users/me/ws (nfs, nodev, ...)``."""
    entries = []
    for line in text.splitlines():
        match = _BSD_LINE.match(line.rstrip("\r"))
        if match:
            entries.append(MountEntry(match["point"], match["type"].strip(), match["source"]))
    return entries


def find_mount(entries: list[MountEntry], path: str) -> MountEntry | None:
    """The filesystem mounted last (so the visible one) on exactly ``path``, if any."""
    found = None
    for entry in entries:
        if entry.mount_point == path:
            found = entry
    return found
