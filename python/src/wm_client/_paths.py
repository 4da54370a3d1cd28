"""Paths as seed-000 callers give them, mapped onto the workspace.

Why: a seed-000 container saw its workspace at ``CONTAINER_WORKSPACE_DIR`` and callers
wrote ``/workspace/src/app.py`` as readily as ``src/app.py``. The file API takes paths
relative to the workspace root, so an absolute path under the working directory is made
relative, and any other absolute path is refused here, with a message saying why, rather
than sent to the server.
"""

from __future__ import annotations

import posixpath

from workspace_sdk.errors import PermissionDeniedError

PATH_ESCAPES = 5006  # the server's code for a path outside the workspace


def _normal_absolute(path: str) -> str:
    return "/" + posixpath.normpath(path).lstrip("/")


def workspace_path(path: str, workdir: str) -> str:
    """``path`` relative to the workspace root (``""`` is the root itself).

    Relative paths pass unchanged (the server checks them); absolute ones must lie under
    ``workdir``, else ``PermissionDeniedError`` (code 5006, no HTTP status).
    """
    if not isinstance(path, str):
        raise TypeError(f"a workspace path must be a str, got {type(path).__name__}")
    if not path.startswith("/"):
        return path
    normal, root = _normal_absolute(path), _normal_absolute(workdir)
    if normal == root:
        return ""
    prefix = root.rstrip("/") + "/"
    if normal.startswith(prefix):
        return normal[len(prefix) :]
    raise PermissionDeniedError(
        PATH_ESCAPES,
        f"{path!r} is outside the workspace directory {root} (CONTAINER_WORKSPACE_DIR): "
        f"give a path relative to the workspace, or one under {root}",
        {"path": path, "workdir": root},
    )


def working_directory(cwd: str | None, workdir: str) -> str:
    """Where a command runs: ``workdir`` by default; a relative ``cwd`` is taken inside it."""
    if cwd is None:
        return workdir
    if not isinstance(cwd, str) or not cwd:
        raise ValueError(f"cwd must be a non-empty string, got {cwd!r}")
    return cwd if cwd.startswith("/") else posixpath.join(workdir, cwd)
