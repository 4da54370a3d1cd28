"""``client.sandbox``: containers started from a template, each bound to one workspace.

Why two classes over one set of calls: as for workspaces, the blocking and asyncio
services send the same ``Call`` objects from ``_sandbox_calls``; only ``await`` (and, in
``wait_for_state``, how to sleep) differs. ``create`` waits until the sandbox runs, so
it uses ``create_timeout`` (``WM_CREATE_TIMEOUT``), as do ``delete`` and ``stop`` (the
server may grant the container a stop grace period), ``start``, ``pause`` and ``resume``
(each answers once done); the rest use the request timeout.
"""

from __future__ import annotations

import time

from .._http import AsyncHTTP, SyncHTTP
from ..errors import SandboxNotFoundError
from ..models import CreateSandboxParams, NetworkPolicy, NetworkStatus, Sandbox, SandboxState
from . import _sandbox_calls as calls

# Alias, because inside the classes the name ``list`` is the ``list`` method.
SandboxList = list[Sandbox]


class SandboxService:
    """Sandboxes, blocking. Reached as ``client.sandbox``."""

    def __init__(self, http: SyncHTTP) -> None:
        self._http = http

    def create(self, params: CreateSandboxParams) -> Sandbox:
        """Start a sandbox on ``params.workspace_id``; returns once it is ``running``.

        ``TemplateNotFoundError`` for an unknown template, ``WorkspaceNotFoundError`` for
        an unknown workspace, ``AgentNotConnectedError`` if its agent never answered.
        """
        return self._http.call(calls.create(params))

    def get(self, sandbox_id: str) -> Sandbox:
        """Fetch one sandbox; ``SandboxNotFoundError`` if there is none."""
        return self._http.call(calls.get(sandbox_id))

    def list(
        self, state: SandboxState | None = None, workspace_id: str | None = None
    ) -> SandboxList:
        """Every sandbox, oldest first, optionally only those in ``state`` / on ``workspace_id``."""
        return self._http.call(calls.list_all(state, workspace_id))

    def exists(self, sandbox_id: str) -> bool:
        """True if the sandbox exists; False only for code 2001, other failures raise."""
        try:
            self.get(sandbox_id)
        except SandboxNotFoundError:
            return False
        return True

    def delete(self, sandbox_id: str, force: bool = False) -> None:
        """Stop and remove a sandbox (SIGTERM and a grace period; ``force`` kills at once).

        The workspace and its files stay.
        """
        self._http.call(calls.delete(sandbox_id, force))

    def proxy_url(self, sandbox_id: str, port: int) -> str:
        """A URL that opens ``port`` of the sandbox in a browser without the API key.

        It carries a short-lived proxy token (about 5 minutes), which the server swaps
        for a cookie scoped to that port on the first visit. ``ValueError`` for a port
        outside 1-65535, ``SandboxNotFoundError`` for an unknown sandbox.
        """
        return self._http.call(calls.proxy_url(sandbox_id, port))

    def network(self, sandbox_id: str) -> NetworkStatus:
        """The sandbox's network policy and what the egress gateway refused it."""
        return self._http.call(calls.network(sandbox_id))

    def update_network(self, sandbox_id: str, policy: NetworkPolicy) -> NetworkStatus:
        """Change a running sandbox's network policy; its next request out obeys it.

        Only sandboxes made with ``allowlist`` or ``open`` (on Docker) can change: others
        raise ``WorkspaceError`` 1001; a stopped one 2002.
        """
        return self._http.call(calls.update_network(sandbox_id, policy))

    def stop(self, sandbox_id: str) -> Sandbox:
        """End the sandbox's processes and stop it; returns it ``stopped``.

        Processes get SIGTERM, the server's grace period, then SIGKILL. Its root filesystem,
        env, limits and workspace stay; ``start`` runs it again. A sandbox already stopped
        is returned as it is.
        """
        return self._http.call(calls.stop(sandbox_id))

    def start(self, sandbox_id: str) -> Sandbox:
        """Run a stopped sandbox again; returns it ``running`` (already running: as it is)."""
        return self._http.call(calls.start(sandbox_id))

    def pause(self, sandbox_id: str) -> Sandbox:
        """Freeze a running sandbox's processes; returns it ``paused``.

        ``WorkspaceError`` code 2002 if it is stopped.
        """
        return self._http.call(calls.pause(sandbox_id))

    def resume(self, sandbox_id: str) -> Sandbox:
        """Make a paused (or stopped) sandbox run again; returns it ``running``."""
        return self._http.call(calls.resume(sandbox_id))

    def wait_for_state(
        self,
        sandbox_id: str,
        state: SandboxState,
        timeout: float | None = None,
        interval: float = 0.5,
    ) -> Sandbox:
        """Poll every ``interval`` seconds until the sandbox is in ``state``; return it.

        Raises ``WorkspaceError`` code 2002 (with ``error_message``) if it enters ``error``
        instead, code 9002 after ``timeout`` seconds (default: ``create_timeout``), and
        ``SandboxNotFoundError`` if it is removed meanwhile.
        """
        watch = calls.StateWatch(
            sandbox_id, state, timeout, self._http.config.create_timeout, interval
        )
        while True:
            sandbox = self.get(sandbox_id)
            if watch.done(sandbox):
                return sandbox
            time.sleep(watch.pause(sandbox))


class AsyncSandboxService:
    """Sandboxes, asyncio. Same methods as ``SandboxService``."""

    def __init__(self, http: AsyncHTTP) -> None:
        self._http = http

    async def create(self, params: CreateSandboxParams) -> Sandbox:
        """See ``SandboxService.create``."""
        return await self._http.call(calls.create(params))

    async def get(self, sandbox_id: str) -> Sandbox:
        """See ``SandboxService.get``."""
        return await self._http.call(calls.get(sandbox_id))

    async def list(
        self, state: SandboxState | None = None, workspace_id: str | None = None
    ) -> SandboxList:
        """See ``SandboxService.list``."""
        return await self._http.call(calls.list_all(state, workspace_id))

    async def exists(self, sandbox_id: str) -> bool:
        """See ``SandboxService.exists``."""
        try:
            await self.get(sandbox_id)
        except SandboxNotFoundError:
            return False
        return True

    async def delete(self, sandbox_id: str, force: bool = False) -> None:
        """See ``SandboxService.delete``."""
        await self._http.call(calls.delete(sandbox_id, force))

    async def proxy_url(self, sandbox_id: str, port: int) -> str:
        """See ``SandboxService.proxy_url``."""
        return await self._http.call(calls.proxy_url(sandbox_id, port))

    async def network(self, sandbox_id: str) -> NetworkStatus:
        """The sandbox's network policy and what the egress gateway refused it."""
        return await self._http.call(calls.network(sandbox_id))

    async def update_network(self, sandbox_id: str, policy: NetworkPolicy) -> NetworkStatus:
        """Change a running sandbox's network policy; its next request out obeys it."""
        return await self._http.call(calls.update_network(sandbox_id, policy))

    async def stop(self, sandbox_id: str) -> Sandbox:
        """See ``SandboxService.stop``."""
        return await self._http.call(calls.stop(sandbox_id))

    async def start(self, sandbox_id: str) -> Sandbox:
        """See ``SandboxService.start``."""
        return await self._http.call(calls.start(sandbox_id))

    async def pause(self, sandbox_id: str) -> Sandbox:
        """See ``SandboxService.pause``."""
        return await self._http.call(calls.pause(sandbox_id))

    async def resume(self, sandbox_id: str) -> Sandbox:
        """See ``SandboxService.resume``."""
        return await self._http.call(calls.resume(sandbox_id))

    async def wait_for_state(
        self,
        sandbox_id: str,
        state: SandboxState,
        timeout: float | None = None,
        interval: float = 0.5,
    ) -> Sandbox:
        """See ``SandboxService.wait_for_state``."""
        import asyncio  # on first use, not with the SDK (see ``_transfer._in_thread``)

        watch = calls.StateWatch(
            sandbox_id, state, timeout, self._http.config.create_timeout, interval
        )
        while True:
            sandbox = await self.get(sandbox_id)
            if watch.done(sandbox):
                return sandbox
            await asyncio.sleep(watch.pause(sandbox))
