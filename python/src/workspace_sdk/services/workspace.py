"""``client.workspace``: workspaces (persistent storage) and the files in them.

Why two classes over one set of calls: the blocking and asyncio services expose
the same methods with the same names, and both send the ``Call`` objects built in
``_workspace_calls``; only ``await`` differs between them.

Content design: ``read_file`` returns ``str`` (UTF-8) as the SDK README shows,
``read_file_bytes`` returns ``bytes``; both hold the file in memory, so large files
go through ``download_file`` (streamed to a temp file, then renamed onto the local
path). ``write_file`` takes ``str`` (sent as UTF-8), bytes, a binary file object or
an iterator of byte chunks (async iterators too, for the async client), streaming
what is not already in memory; ``upload_file`` streams a local file. Every transfer
honours ``max_file_transfer_bytes`` and raises ``WorkspaceError`` code 1004 past it.
"""

from __future__ import annotations

from .._http import AsyncHTTP, SyncHTTP
from .._transfer import (
    AsyncUploadContent,
    LocalPath,
    UploadContent,
    adownload_to_path,
    async_body,
    download_to_path,
    open_for_upload,
    sync_body,
)
from ..errors import FileNotFoundError
from ..models import CreateWorkspaceParams, FileInfo, Workspace
from . import _workspace_calls as calls

# Aliases, because inside the classes the name ``list`` is the ``list`` method.
WorkspaceList = list[Workspace]
FileInfoList = list[FileInfo]


class WorkspaceService:
    """Workspaces and their files, blocking. Reached as ``client.workspace``."""

    def __init__(self, http: SyncHTTP) -> None:
        self._http = http

    def create(self, params: CreateWorkspaceParams | None = None) -> Workspace:
        """Create a workspace (``name``, ``metadata`` and ``quota_bytes`` optional)."""
        return self._http.call(calls.create(params))

    def update_quota(self, workspace_id: str, quota_bytes: int | None) -> Workspace:
        """Change a workspace's disk quota in bytes; None lifts it. Code 1001 where the server
        cannot enforce quotas."""
        return self._http.call(calls.update_quota(workspace_id, quota_bytes))

    def get(self, workspace_id: str) -> Workspace:
        """Fetch one workspace; ``WorkspaceNotFoundError`` if there is none."""
        return self._http.call(calls.get(workspace_id))

    def list(self) -> WorkspaceList:
        """Every workspace, oldest first."""
        return self._http.call(calls.list_all())

    def delete(self, workspace_id: str) -> None:
        """Delete a workspace and its files; code 7002 while sandboxes still use it."""
        self._http.call(calls.delete(workspace_id))

    def write_file(
        self, workspace_id: str, path: str, content: UploadContent, *, parents: bool = True
    ) -> FileInfo:
        """Create or replace a file atomically; missing parent directories are made by default."""
        call = calls.write_content(workspace_id, path, parents)
        return self._http.call(call, sync_body(content, self._http.config.max_file_transfer_bytes))

    def upload_file(
        self, workspace_id: str, path: str, local_path: LocalPath, *, parents: bool = True
    ) -> FileInfo:
        """Stream the local file ``local_path`` into the workspace at ``path``."""
        with open_for_upload(local_path, self._http.config.max_file_transfer_bytes) as file:
            return self.write_file(workspace_id, path, file, parents=parents)

    def read_file(self, workspace_id: str, path: str) -> str:
        """A file's content decoded as UTF-8 (``UnicodeDecodeError`` if it is not text)."""
        return self.read_file_bytes(workspace_id, path).decode("utf-8")

    def read_file_bytes(self, workspace_id: str, path: str) -> bytes:
        """A file's content as bytes, read whole into memory."""
        buffer = bytearray()
        self._http.download(calls.read_content(workspace_id, path), buffer.extend)
        return bytes(buffer)

    def download_file(self, workspace_id: str, path: str, local_path: LocalPath) -> int:
        """Stream a file to ``local_path`` (replaced only when complete); return its size."""
        call = calls.read_content(workspace_id, path)
        return download_to_path(lambda sink: self._http.download(call, sink), local_path)

    def list_files(self, workspace_id: str, path: str = "") -> FileInfoList:
        """One directory level, sorted by name; ``""`` is the workspace root."""
        return self._http.call(calls.list_files(workspace_id, path))

    def mkdir(self, workspace_id: str, path: str, parents: bool = True) -> FileInfo:
        """Make a directory (and, with ``parents``, its missing parents; existing is fine)."""
        return self._http.call(calls.mkdir(workspace_id, path, parents))

    def copy_file(self, workspace_id: str, src: str, dst: str, overwrite: bool = False) -> FileInfo:
        """Copy a file or (recursively) a directory; returns the destination's info."""
        return self._http.call(calls.copy_or_move("copy", workspace_id, src, dst, overwrite))

    def move_file(self, workspace_id: str, src: str, dst: str, overwrite: bool = False) -> FileInfo:
        """Move or rename a file or directory; returns the destination's info."""
        return self._http.call(calls.copy_or_move("move", workspace_id, src, dst, overwrite))

    def delete_file(self, workspace_id: str, path: str, recursive: bool = False) -> None:
        """Delete a file or empty directory (any directory with ``recursive``)."""
        self._http.call(calls.delete_file(workspace_id, path, recursive))

    def get_file_info(self, workspace_id: str, path: str) -> FileInfo:
        """Describe one entry without following symlinks."""
        return self._http.call(calls.file_info(workspace_id, path))

    def exists(self, workspace_id: str, path: str) -> bool:
        """True if ``path`` exists; other failures (unknown workspace, bad path) raise."""
        try:
            self.get_file_info(workspace_id, path)
        except FileNotFoundError:
            return False
        return True


class AsyncWorkspaceService:
    """Workspaces and their files, asyncio. Same methods as ``WorkspaceService``."""

    def __init__(self, http: AsyncHTTP) -> None:
        self._http = http

    async def create(self, params: CreateWorkspaceParams | None = None) -> Workspace:
        """See ``WorkspaceService.create``."""
        return await self._http.call(calls.create(params))

    async def update_quota(self, workspace_id: str, quota_bytes: int | None) -> Workspace:
        """See ``WorkspaceService.update_quota``."""
        return await self._http.call(calls.update_quota(workspace_id, quota_bytes))

    async def get(self, workspace_id: str) -> Workspace:
        """See ``WorkspaceService.get``."""
        return await self._http.call(calls.get(workspace_id))

    async def list(self) -> WorkspaceList:
        """See ``WorkspaceService.list``."""
        return await self._http.call(calls.list_all())

    async def delete(self, workspace_id: str) -> None:
        """See ``WorkspaceService.delete``."""
        await self._http.call(calls.delete(workspace_id))

    async def write_file(
        self, workspace_id: str, path: str, content: AsyncUploadContent, *, parents: bool = True
    ) -> FileInfo:
        """See ``WorkspaceService.write_file``; also takes an async iterator of chunks."""
        call = calls.write_content(workspace_id, path, parents)
        body = async_body(content, self._http.config.max_file_transfer_bytes)
        return await self._http.call(call, body)

    async def upload_file(
        self, workspace_id: str, path: str, local_path: LocalPath, *, parents: bool = True
    ) -> FileInfo:
        """See ``WorkspaceService.upload_file``; the file is read in a worker thread."""
        limit = self._http.config.max_file_transfer_bytes
        file = open_for_upload(local_path, limit)
        try:
            return await self.write_file(workspace_id, path, file, parents=parents)
        finally:
            file.close()

    async def read_file(self, workspace_id: str, path: str) -> str:
        """See ``WorkspaceService.read_file``."""
        return (await self.read_file_bytes(workspace_id, path)).decode("utf-8")

    async def read_file_bytes(self, workspace_id: str, path: str) -> bytes:
        """See ``WorkspaceService.read_file_bytes``."""
        buffer = bytearray()

        async def sink(chunk: bytes) -> None:
            buffer.extend(chunk)

        await self._http.download(calls.read_content(workspace_id, path), sink)
        return bytes(buffer)

    async def download_file(self, workspace_id: str, path: str, local_path: LocalPath) -> int:
        """See ``WorkspaceService.download_file``."""
        call = calls.read_content(workspace_id, path)
        return await adownload_to_path(lambda sink: self._http.download(call, sink), local_path)

    async def list_files(self, workspace_id: str, path: str = "") -> FileInfoList:
        """See ``WorkspaceService.list_files``."""
        return await self._http.call(calls.list_files(workspace_id, path))

    async def mkdir(self, workspace_id: str, path: str, parents: bool = True) -> FileInfo:
        """See ``WorkspaceService.mkdir``."""
        return await self._http.call(calls.mkdir(workspace_id, path, parents))

    async def copy_file(
        self, workspace_id: str, src: str, dst: str, overwrite: bool = False
    ) -> FileInfo:
        """See ``WorkspaceService.copy_file``."""
        return await self._http.call(calls.copy_or_move("copy", workspace_id, src, dst, overwrite))

    async def move_file(
        self, workspace_id: str, src: str, dst: str, overwrite: bool = False
    ) -> FileInfo:
        """See ``WorkspaceService.move_file``."""
        return await self._http.call(calls.copy_or_move("move", workspace_id, src, dst, overwrite))

    async def delete_file(self, workspace_id: str, path: str, recursive: bool = False) -> None:
        """See ``WorkspaceService.delete_file``."""
        await self._http.call(calls.delete_file(workspace_id, path, recursive))

    async def get_file_info(self, workspace_id: str, path: str) -> FileInfo:
        """See ``WorkspaceService.get_file_info``."""
        return await self._http.call(calls.file_info(workspace_id, path))

    async def exists(self, workspace_id: str, path: str) -> bool:
        """See ``WorkspaceService.exists``."""
        try:
            await self.get_file_info(workspace_id, path)
        except FileNotFoundError:
            return False
        return True
