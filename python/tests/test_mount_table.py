"""Mount-table parsing: Linux mountinfo and /proc/mounts (octal escapes), macOS ``mount``."""

from __future__ import annotations

from workspace_sdk._mount_table import (
    MountEntry,
    find_mount,
    parse_bsd_mount,
    parse_mountinfo,
    parse_proc_mounts,
    unescape,
)

MOUNTINFO = (
    b"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    b"35 22 0:31 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
    # no optional fields, a path with a space, a tab, a backslash and a newline
    b"90 22 0:50 / /mnt/my\\040work\\011space\\134x\\012y rw - nfs4 127.0.0.1:/workspaces/ws1 rw\n"
    # several optional fields
    b"91 22 0:51 / /home/me/ws rw shared:7 master:3 - nfs [::1]:/workspaces/ws2 rw,vers=3\n"
    b"92 91 0:52 / /home/me/ws rw - tmpfs tmpfs rw\n"
    b"garbage line\n"
    b"93 22 0:53 / /short rw -\n"
    b"94 22 0:54 / /mnt/\\303\\251t\\303\\251 rw - nfs h:/workspaces/ws3 rw\n"
)


def test_parse_mountinfo() -> None:
    entries = parse_mountinfo(MOUNTINFO)
    assert entries[0] == MountEntry("/", "ext4", "/dev/sda1")
    assert entries[2] == MountEntry(
        "/mnt/my work\tspace\\x\ny", "nfs4", "127.0.0.1:/workspaces/ws1"
    )
    assert entries[3] == MountEntry("/home/me/ws", "nfs", "[::1]:/workspaces/ws2")
    assert entries[5].mount_point == "/mnt/été"
    assert len(entries) == 6  # the malformed lines are skipped
    assert [entry.is_nfs for entry in entries] == [False, False, True, True, False, True]


def test_the_topmost_mount_wins() -> None:
    entries = parse_mountinfo(MOUNTINFO)
    assert find_mount(entries, "/home/me/ws") == MountEntry("/home/me/ws", "tmpfs", "tmpfs")
    assert find_mount(entries, "/home/me") is None


def test_parse_proc_mounts() -> None:
    text = (
        b"/dev/sda1 / ext4 rw,relatime 0 0\n"
        b"127.0.0.1:/workspaces/ws1 /mnt/a\\040b nfs4 rw,vers=4.1 0 0\n"
        b"\n"
    )
    assert parse_proc_mounts(text) == [
        MountEntry("/", "ext4", "/dev/sda1"),
        MountEntry("/mnt/a b", "nfs4", "127.0.0.1:/workspaces/ws1"),
    ]


def test_parse_bsd_mount() -> None:
    text = (
        "/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)\n"
        "map auto_home on /System/Volumes/Data/home (autofs, automounted, nobrowse)\n"
        "127.0.0.1:/workspaces/ws1 on /Users/me/my ws (nfs, nodev, nosuid, mounted by me)\n"
        "[::1]:/workspaces/ws2 on /Users/me/on (x) (nfs)\n"
        "not a mount line\n"
    )
    assert parse_bsd_mount(text) == [
        MountEntry("/", "apfs", "/dev/disk3s1s1"),
        MountEntry("/System/Volumes/Data/home", "autofs", "map auto_home"),
        MountEntry("/Users/me/my ws", "nfs", "127.0.0.1:/workspaces/ws1"),
        MountEntry("/Users/me/on (x)", "nfs", "[::1]:/workspaces/ws2"),
    ]


def test_unescape_leaves_other_backslashes() -> None:
    assert unescape(b"a\\040b\\9c") == "a b\\9c"
