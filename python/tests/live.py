"""Settings of the live tests: they run only when WM_TEST_API_URL names a running server.

Why a separate module: the live suites (sync and async) share the server address, the
skip reason, the sandbox template and a 20 MB payload helper, and none of it belongs in unit tests.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

LIVE_URL = os.environ.get("WM_TEST_API_URL", "")
skip_unless_live = pytest.mark.skipif(
    not LIVE_URL, reason="live test: set WM_TEST_API_URL to a running Workspace Manager server"
)
TEMPLATE = os.environ.get("WM_TEST_TEMPLATE", "workspace-test:latest")
BIG_SIZE = 20 * 1024 * 1024
ALL_BYTES = bytes(range(256)) * 4


def client_options() -> dict[str, Any]:
    options: dict[str, Any] = {"api_url": LIVE_URL}
    if os.environ.get("WM_TEST_API_KEY"):
        options["api_key"] = os.environ["WM_TEST_API_KEY"]
    return options


def make_big_file(directory: Path) -> tuple[Path, str]:
    """A 20 MB file of random bytes and its SHA-256."""
    path = directory / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as file:
        for _ in range(BIG_SIZE // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            file.write(chunk)
    return path, digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
