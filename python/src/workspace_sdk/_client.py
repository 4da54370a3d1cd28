"""``WorkspaceClient`` and ``AsyncWorkspaceClient``: configuration, one transport, services.

Why this shape: a client resolves its configuration once (``_config``), makes one
HTTP transport for its whole life, and hangs one small service per area of the API
off itself (``client.workspace``, ``client.sandbox``, ``client.process``, ``client.nfs``,
``client.server``, and
``client.pty`` on the asyncio client only). Both clients
share the constructor and the settings they expose, and differ only in the transport and
services they build.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Generic, TypeVar

import httpx

from ._config import ClientConfig, resolve_config
from ._http import AsyncHTTP, SyncHTTP
from .services.nfs import AsyncNfsService, NfsService
from .services.process import AsyncProcessService, ProcessService
from .services.pty import AsyncPtyService
from .services.sandbox import AsyncSandboxService, SandboxService
from .services.server import AsyncServerService, ServerService
from .services.workspace import AsyncWorkspaceService, WorkspaceService

TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _ClientBase(ABC, Generic[TransportT]):
    """Constructor and settings shared by both clients."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        nfs_host: str | None = None,
        nfs_port: int | None = None,
        *,
        api_key_header: str | None = None,
        file_timeout: float | None = None,
        exec_timeout: float | None = None,
        create_timeout: float | None = None,
        verify_tls: bool | None = None,
        allow_insecure_tls: bool | None = None,
        allow_insecure_http: bool | None = None,
        max_file_transfer_bytes: int | None = None,
        public_base_url: str | None = None,
        container_workspace_dir: str | None = None,
        config: ClientConfig | None = None,
        transport: TransportT | None = None,
    ) -> None:
        """Each argument left ``None`` comes from its environment variable, else its default.

        ``api_url``: ``WORKSPACE_API_URL`` / ``WM_BASE_URL`` (``http://127.0.0.1:8080``);
        ``api_key``: ``WORKSPACE_API_KEY``; ``api_key_header``: ``WORKSPACE_API_KEY_HEADER``
        (``X-API-Key``); ``timeout``: ``WM_REQUEST_TIMEOUT`` (60 s); ``file_timeout``:
        ``WM_FILE_TIMEOUT`` (120 s); ``exec_timeout``: ``WM_EXEC_TIMEOUT`` (300 s);
        ``create_timeout``: ``WM_CREATE_TIMEOUT`` (1200 s); ``verify_tls``: ``WM_VERIFY_TLS``
        (true; false needs ``allow_insecure_tls`` / ``WM_ALLOW_INSECURE_TLS``);
        ``allow_insecure_http``: ``WM_ALLOW_INSECURE_HTTP`` (false: plain http only to
        loopback); ``max_file_transfer_bytes``: ``WM_MAX_FILE_TRANSFER_BYTES`` (1 GiB);
        ``public_base_url``: ``WORKSPACE_PUBLIC_BASE_URL``; ``nfs_host`` / ``nfs_port``:
        ``WM_NFS_HOST`` / ``WM_NFS_PORT`` (unset: each workspace's ``nfs_url`` says; set, they
        override it for ``client.nfs``); ``container_workspace_dir``:
        ``CONTAINER_WORKSPACE_DIR`` (``/workspace``).

        ``config`` passes an already resolved ``ClientConfig`` instead (then give no other
        setting); ``transport`` replaces httpx's network transport (tests, proxies).
        Raises ``ConfigurationError`` (code 9000, also a ``ValueError``) on a bad setting.
        """
        settings = {
            "api_url": api_url,
            "api_key": api_key,
            "timeout": timeout,
            "nfs_host": nfs_host,
            "nfs_port": nfs_port,
            "api_key_header": api_key_header,
            "file_timeout": file_timeout,
            "exec_timeout": exec_timeout,
            "create_timeout": create_timeout,
            "verify_tls": verify_tls,
            "allow_insecure_tls": allow_insecure_tls,
            "allow_insecure_http": allow_insecure_http,
            "max_file_transfer_bytes": max_file_transfer_bytes,
            "public_base_url": public_base_url,
            "container_workspace_dir": container_workspace_dir,
        }
        if config is not None:
            given = sorted(name for name, value in settings.items() if value is not None)
            if given:
                raise ValueError(f"pass either config or individual settings, not both: {given}")
        self.config: ClientConfig = config or resolve_config(**settings)  # type: ignore[arg-type]
        self._attach_services(transport)

    @abstractmethod
    def _attach_services(self, transport: TransportT | None) -> None:
        """Build this client's transport and its services."""

    @property
    def api_url(self) -> str:
        """Base URL of the Workspace Manager API."""
        return self.config.api_url

    @property
    def public_base_url(self) -> str | None:
        """URL to hand to third parties instead of ``api_url`` (``WORKSPACE_PUBLIC_BASE_URL``)."""
        return self.config.public_base_url

    @property
    def container_workspace_dir(self) -> str:
        """Where a sandbox sees its workspace (``CONTAINER_WORKSPACE_DIR``)."""
        return self.config.container_workspace_dir

    @property
    def nfs_host(self) -> str | None:
        """NFS host overriding the one in ``nfs_url`` (``WM_NFS_HOST``); None: use ``nfs_url``'s."""
        return self.config.nfs_host

    @property
    def nfs_port(self) -> int | None:
        """NFS port overriding the one in ``nfs_url`` (``WM_NFS_PORT``); None: use ``nfs_url``'s."""
        return self.config.nfs_port

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.config.api_url!r})"


class WorkspaceClient(_ClientBase[httpx.BaseTransport]):
    """Blocking client. Use as a context manager, or call ``close()`` when done."""

    workspace: WorkspaceService
    sandbox: SandboxService
    process: ProcessService
    nfs: NfsService
    server: ServerService

    def _attach_services(self, transport: httpx.BaseTransport | None) -> None:
        self._http = SyncHTTP(self.config, transport)
        self.workspace = WorkspaceService(self._http)
        self.sandbox = SandboxService(self._http)
        self.process = ProcessService(self._http)
        self.nfs = NfsService(self._http)
        self.server = ServerService(self._http)

    def close(self) -> None:
        """Close the HTTP connections; safe to call more than once."""
        self._http.close()

    def __enter__(self) -> WorkspaceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncWorkspaceClient(_ClientBase[httpx.AsyncBaseTransport]):
    """Asyncio client. Use with ``async with``, or await ``aclose()`` when done."""

    workspace: AsyncWorkspaceService
    sandbox: AsyncSandboxService
    process: AsyncProcessService
    nfs: AsyncNfsService
    server: AsyncServerService
    pty: AsyncPtyService

    def _attach_services(self, transport: httpx.AsyncBaseTransport | None) -> None:
        self._http = AsyncHTTP(self.config, transport)
        self.workspace = AsyncWorkspaceService(self._http)
        self.sandbox = AsyncSandboxService(self._http)
        self.process = AsyncProcessService(self._http)
        self.nfs = AsyncNfsService(self._http)
        self.server = AsyncServerService(self._http)
        self.pty = AsyncPtyService(self.config)  # WebSockets, not the HTTP transport

    async def aclose(self) -> None:
        """Detach open PTY sessions and close the HTTP connections; safe to call more than once."""
        await self.pty.aclose()
        await self._http.aclose()

    async def close(self) -> None:
        """Alias of ``aclose()``."""
        await self.aclose()

    async def __aenter__(self) -> AsyncWorkspaceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
