"""Data types of the seed-000 surface that ``workspace_sdk`` does not have (yet).

Why dataclasses parsed with ``workspace_sdk._parse``: the wire format is snake_case JSON
with these field names (``docs/seed-000.md``); unknown fields are ignored, so a newer
server never breaks this client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FileTokenOperation = Literal["upload", "download"]
CheckpointKind = Literal["process", "filesystem"]


@dataclass
class FileToken:
    """A short-lived credential for one file of one workspace, and the URL that uses it.

    ``url`` carries the token in its query string; ``header`` names the header that may
    carry it instead. ``token`` is a secret until ``expires_at``, so it stays out of the repr.
    """

    token: str = field(repr=False)
    url: str = field(repr=False)  # carries the token too
    expires_at: str
    operation: FileTokenOperation
    path: str
    header: str
    query_param: str


@dataclass
class PortHint:
    """Where a port inside a sandbox can be reached: ``url`` is the authenticated proxy URL."""

    host: str
    port: int
    url: str


@dataclass
class Checkpoint:
    """A checkpoint of a sandbox.

    ``kind`` is ``"process"`` (memory included, runsc) or ``"filesystem"`` (the container's
    filesystem plus a workspace snapshot; running processes are not kept).
    """

    id: str
    sandbox_id: str
    workspace_id: str
    kind: CheckpointKind
    image: str
    created_at: str
    name: str | None = None
