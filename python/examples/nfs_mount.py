"""NFS mounting for local development: a workspace as a folder on this machine.

The server exports every workspace over NFS (``workspace.nfs_url``; ``None`` when NFS is
off on the server). ``client.nfs.mount`` runs this machine's ``mount`` with the right
options, ``is_mounted`` reads the mount table, ``unmount`` runs ``umount``. Files written
through the mount are the workspace's files, seen by the API and by every sandbox.

Mounting needs root (the exports accept privileged source ports only) and a kernel NFS
client (``mount.nfs``: the ``nfs-common`` package on Debian/Ubuntu). Without them this
example says what it skipped and why, and still shows the ``nfs_url``, the exact
``mount`` command it would run, and ``is_mounted``. Run it with sudo to mount for real.

Run it against a live server: ``python python/examples/nfs_mount.py``. The server is
``WORKSPACE_API_URL`` (default ``http://127.0.0.1:8080``), with the API key in
``WORKSPACE_API_KEY`` if the server wants one. It prints what it does, exits non-zero if
anything is not as expected, and deletes what it made (mount point included) either way.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from workspace_sdk import CreateWorkspaceParams, Workspace, WorkspaceClient, WorkspaceError

API_URL = os.environ.get("WORKSPACE_API_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("WORKSPACE_API_KEY")  # None: a server without API keys


def check(ok: bool, what: str) -> None:
    """Stop with exit code 1 unless ``ok`` (an ``assert`` would vanish under ``python -O``)."""
    if not ok:
        sys.exit(f"FAILED: {what}")


def skipped(what: str, why: str) -> None:
    print(f"SKIPPED {what}: {why}")


def nfs_disabled(client: WorkspaceClient, workspace_id: str, mount_point: str) -> None:
    """The server exports nothing: ``mount`` says so (code 9005, reason ``nfs-disabled``)."""
    try:
        client.nfs.mount(workspace_id, mount_point)
        sys.exit("FAILED: mounted a workspace whose nfs_url is None")
    except WorkspaceError as error:
        print(f"mount: [{error.code}] {error.message}")
        check(error.details.get("reason") == "nfs-disabled", f"reason {error.details}")
    skipped("the mount", "NFS is not enabled on the server (the workspace's nfs_url is None)")


def mount_and_use(client: WorkspaceClient, workspace_id: str, mount_point: str) -> None:
    """Mount, read and write through the mount, unmount: the real thing (needs root)."""
    try:
        # Mount a workspace via NFS (NFSv4.1 by default; version="3" for NFSv3)
        mounted = client.nfs.mount(workspace_id, mount_point)
    except WorkspaceError as error:
        if error.details.get("reason") != "tools-missing":
            raise
        skipped("the mount", f"this machine cannot mount NFS: {error.message}")
        return
    print(f"Mounted on {mounted}")
    try:
        # Check if mounted
        check(client.nfs.is_mounted(mounted), f"is_mounted({mounted!r}) after mount")
        print(f"is_mounted({mounted!r}): True")
        local = Path(mounted)
        text = (local / "hello.txt").read_text()
        print(f"Read through the mount: {text!r}")
        check(text == "Hello over HTTP", f"hello.txt through the mount: {text!r}")
        (local / "notes.txt").write_text("Written through NFS\n")
        seen = client.workspace.read_file(workspace_id, "notes.txt")
        print(f"The API reads what was written through the mount: {seen!r}")
        check(seen == "Written through NFS\n", f"notes.txt through the API: {seen!r}")
    finally:
        # Unmount
        client.nfs.unmount(mounted)
        print(f"Unmounted {mounted}")
    check(not client.nfs.is_mounted(mounted), f"is_mounted({mounted!r}) after unmount")


def show_and_mount(client: WorkspaceClient, workspace: Workspace, mount_point: str) -> None:
    client.workspace.write_file(workspace.id, "hello.txt", "Hello over HTTP")
    print(f"nfs_url: {workspace.nfs_url}")
    if workspace.nfs_url is None:
        nfs_disabled(client, workspace.id, mount_point)
        return
    url = urlsplit(workspace.nfs_url)
    check(url.scheme == "nfs", f"nfs_url scheme {url.scheme!r}")
    check(url.path == f"/workspaces/{workspace.id}", f"nfs_url path {url.path!r}")
    print(f"NFS server {url.hostname} port {url.port}, export {url.path}")

    # The exact command mount would run, without running it
    try:
        argv = client.nfs.mount_command(workspace.id, mount_point)
    except WorkspaceError as error:  # neither Linux nor macOS
        skipped("mounting", error.message)
        return
    print(f"Mount command: {shlex.join(argv)}")
    check(argv[0] == "mount" and argv[-1] == mount_point, f"mount command {argv}")
    check(not client.nfs.is_mounted(mount_point), f"{mount_point} mounted before mount")
    print(f"is_mounted({mount_point!r}): False")

    if hasattr(os, "geteuid") and os.geteuid() != 0:
        skipped("the mount", "mounting NFS needs root: run this example with sudo")
        return
    mount_and_use(client, workspace.id, mount_point)


def main() -> None:
    with WorkspaceClient(API_URL, api_key=API_KEY) as client:
        workspace = client.workspace.create(CreateWorkspaceParams(name="nfs-mount"))
        print(f"Created workspace: {workspace.id}")
        scratch = tempfile.mkdtemp(prefix="wm-nfs-example-")
        mount_point = os.path.join(scratch, "workspace")  # mount makes it if missing
        try:
            show_and_mount(client, workspace, mount_point)
        finally:
            if client.nfs.is_mounted(mount_point):  # a failure between mount and unmount
                client.nfs.unmount(mount_point, force=True)
            if os.path.isdir(mount_point):
                os.rmdir(mount_point)
            os.rmdir(scratch)
            client.workspace.delete(workspace.id)
            print(f"Deleted workspace: {workspace.id}")
    print("nfs_mount: ok")


if __name__ == "__main__":
    main()
