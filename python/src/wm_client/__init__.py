"""Seed-000 style client for Workspace Manager, built on ``workspace_sdk``.

A seed-000 "workspace backed by a container" is a workspace plus its primary sandbox,
made in one call::

    from wm_client import WorkspaceManagerClient

    with WorkspaceManagerClient() as client, client.create_workspace(image="python:3.12") as ws:
        ws.write_file("hello.py", "print('hi')")
        print(ws.exec("python3 hello.py").stdout)

Configuration, errors and transport are ``workspace_sdk``'s; see the root README's
"Seed-000 client" section for the mapping and the variables.
"""

from workspace_sdk import CommandResult, ConfigurationError, FileInfo, WorkspaceError

from ._client import WorkspaceManagerClient
from ._handle import WorkspaceHandle
from ._models import Checkpoint, FileToken, PortHint
from ._splunk import SplunkWorkspace, splunk_credentials

__all__ = [
    "Checkpoint",
    "CommandResult",
    "ConfigurationError",
    "FileInfo",
    "FileToken",
    "PortHint",
    "SplunkWorkspace",
    "WorkspaceError",
    "WorkspaceHandle",
    "WorkspaceManagerClient",
    "splunk_credentials",
]
