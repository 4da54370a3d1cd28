"""``mount``/``umount`` argv for Linux and macOS, built from an nfs_url and the client settings."""

from __future__ import annotations

from typing import Any

import pytest

from workspace_sdk import WorkspaceError
from workspace_sdk._nfs_command import (
    NfsTarget,
    merge_options,
    mount_argv,
    normalize_version,
    parse_nfs_url,
    resolve_target,
    umount_argv,
)

URL = "nfs://127.0.0.1:12049/workspaces/ws1"
TARGET = NfsTarget("127.0.0.1", 12049, "/workspaces/ws1")
LINUX_V4 = "vers=4.1,port=12049,proto=tcp,nosuid,nodev"
LINUX_V3 = "vers=3,port=12049,mountport=12050,mountproto=tcp,nolock,proto=tcp,nosuid,nodev"
MAC_V4 = "vers=4,port=12049,proto=tcp,resvport,nosuid,nodev"
MAC_V3 = "vers=3,port=12049,mountport=12050,nolocks,proto=tcp,resvport,nosuid,nodev"

# platform, keyword arguments, expected -o value
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("linux", {}, LINUX_V4),
    ("linux", {"version": "3"}, LINUX_V3),
    ("linux", {"version": 3}, LINUX_V3),
    ("linux", {"read_only": True}, LINUX_V4 + ",ro"),
    ("linux", {"version": "3", "read_only": True}, LINUX_V3 + ",ro"),
    ("linux", {"version": "4.2"}, LINUX_V4.replace("4.1", "4.2")),
    ("linux", {"version": "v4"}, LINUX_V4.replace("4.1", "4")),
    ("darwin", {}, MAC_V4),
    ("darwin", {"version": "4.0"}, MAC_V4),
    ("darwin", {"version": "3"}, MAC_V3),
    ("darwin", {"version": "3", "read_only": True}, MAC_V3 + ",rdonly"),
    ("darwin", {"read_only": True}, MAC_V4 + ",rdonly"),
]


@pytest.mark.parametrize(("platform", "kwargs", "options"), CASES)
def test_mount_argv(platform: str, kwargs: dict[str, Any], options: str) -> None:
    argv = mount_argv(platform, TARGET, "/mnt/ws", **kwargs)
    assert argv == ["mount", "-t", "nfs", "-o", options, "127.0.0.1:/workspaces/ws1", "/mnt/ws"]


def test_linux2_platform_string_and_paths_with_spaces_stay_one_argument() -> None:
    argv = mount_argv("linux2", TARGET, "/mnt/my ws")
    assert argv[-1] == "/mnt/my ws" and len(argv) == 7


def test_extra_options_replace_by_name_or_append() -> None:
    argv = mount_argv("linux", TARGET, "/m", version="3", options=["mountport=2050", "soft"])
    assert argv[4] == LINUX_V3.replace("12050", "2050") + ",soft"
    assert mount_argv("linux", TARGET, "/m", options="timeo=50,proto=tcp")[4] == (
        LINUX_V4 + ",timeo=50"
    )
    assert merge_options(["a=1", "b"], ["a=2", "c"]) == ["a=2", "b", "c"]


@pytest.mark.parametrize("bad", [["a,b"], ["has space"], [""], ["x", 3]])
def test_bad_extra_options_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="mount option"):
        mount_argv("linux", TARGET, "/m", options=bad)


@pytest.mark.parametrize("bad", ["2", "5", "4.3", "", True, "nfs4"])
def test_bad_versions_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="NFS version"):
        normalize_version(bad)


def test_v3_on_the_last_port_lets_rpcbind_find_mount() -> None:
    target = NfsTarget("h", 65535, "/workspaces/ws1")
    assert "mountport" not in mount_argv("linux", target, "/m", version="3")[4]


def test_unsupported_platform() -> None:
    with pytest.raises(WorkspaceError, match="Linux and macOS") as info:
        mount_argv("win32", TARGET, "C:/ws")
    assert (info.value.code, info.value.details["reason"]) == (9005, "unsupported-platform")


def test_umount_argv() -> None:
    assert umount_argv("linux", "/mnt/ws") == ["umount", "/mnt/ws"]
    assert umount_argv("darwin", "/Users/me/ws", force=True) == ["umount", "-f", "/Users/me/ws"]


def test_parse_nfs_url() -> None:
    assert parse_nfs_url(URL) == TARGET
    assert parse_nfs_url("nfs://[::1]:2050/workspaces/a") == NfsTarget("::1", 2050, "/workspaces/a")
    assert parse_nfs_url("NFS://host/workspaces/a%20b").port == 2049
    assert parse_nfs_url("nfs://host/workspaces/a%20b").export_path == "/workspaces/a b"


@pytest.mark.parametrize("bad", ["http://h/x", "nfs:///x", "nfs://h:99999/x", "nfs://h", "x"])
def test_unreadable_nfs_url_is_a_bad_response(bad: str) -> None:
    with pytest.raises(WorkspaceError, match="nfs_url") as info:
        parse_nfs_url(bad)
    assert info.value.code == 9003


def test_ipv6_host_goes_in_brackets() -> None:
    target = resolve_target("nfs://[fd00::1]:12049/workspaces/ws1")
    assert mount_argv("linux", target, "/m")[5] == "[fd00::1]:/workspaces/ws1"
    assert mount_argv("darwin", target, "/m")[5] == "[fd00::1]:/workspaces/ws1"


def test_client_settings_override_host_and_port() -> None:
    assert resolve_target(URL, host="nfs.example") == NfsTarget(
        "nfs.example", 12049, "/workspaces/ws1"
    )
    assert resolve_target(URL, port=3049) == NfsTarget("127.0.0.1", 3049, "/workspaces/ws1")
    target = resolve_target(URL, host="::1", port=4049)
    argv = mount_argv("linux", target, "/m", version="3")
    assert argv[4].startswith("vers=3,port=4049,mountport=4050,")
    assert argv[5] == "[::1]:/workspaces/ws1"


def test_unspecified_server_address_means_the_api_host() -> None:
    url = "nfs://0.0.0.0:12049/workspaces/ws1"
    assert resolve_target(url, api_host="10.1.2.3").host == "10.1.2.3"
    assert resolve_target("nfs://[::]:1/x", api_host="[fd00::9]").host == "fd00::9"
    assert resolve_target(url, host="h", api_host="10.1.2.3").host == "h"


def test_no_nfs_url_means_nfs_is_off() -> None:
    with pytest.raises(WorkspaceError, match="NFS is not enabled on the server") as info:
        resolve_target(None)
    assert (info.value.code, info.value.details["reason"]) == (9005, "nfs-disabled")
