"""Requests of the sandbox API, built once for the sync and async services.

Why separate: as in ``_workspace_calls``, each function returns a ``Call`` describing
one route of ``docs/api.md``; the services only choose how to send it. The waiting
logic of ``wait_for_state`` is shared here too (``StateWatch``), so the sync and async
loops differ only in how they sleep.
"""

from __future__ import annotations

import time
from typing import get_args
from urllib.parse import quote

import httpx

from .._http import Call, parse_json, parse_nothing
from .._parse import from_json, list_from_json, to_json
from ..errors import CLIENT_TIMEOUT, WorkspaceError
from ..models import CreateSandboxParams, NetworkPolicy, NetworkStatus, Sandbox, SandboxState

SANDBOX_NOT_RUNNING = 2002
_STATES: tuple[SandboxState, ...] = get_args(SandboxState)


def sandbox_path(sandbox_id: str) -> str:
    if not isinstance(sandbox_id, str) or not sandbox_id:
        raise ValueError(f"sandbox id must be a non-empty string, got {sandbox_id!r}")
    return f"/v1/sandboxes/{quote(sandbox_id, safe='')}"


def _sandbox(response: httpx.Response) -> Sandbox:
    return from_json(Sandbox, parse_json(response))


def create(params: CreateSandboxParams) -> Call[Sandbox]:
    """The server answers once the sandbox runs, so this uses the create timeout."""
    if not isinstance(params, CreateSandboxParams):
        raise TypeError(f"expected CreateSandboxParams, got {type(params).__name__}")
    return Call("POST", "/v1/sandboxes", _sandbox, json=to_json(params), timeout="create")


def get(sandbox_id: str) -> Call[Sandbox]:
    return Call("GET", sandbox_path(sandbox_id), _sandbox)


def network(sandbox_id: str) -> Call[NetworkStatus]:
    return Call(
        "GET",
        f"{sandbox_path(sandbox_id)}/network",
        lambda r: from_json(NetworkStatus, parse_json(r)),
    )


def proxy_url(sandbox_id: str, port: int) -> Call[str]:
    """Mint a proxy token for ``port``; the reply's ``url`` is made absolute on the API URL."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be an integer from 1 to 65535, got {port!r}")

    def absolute(response: httpx.Response) -> str:
        requested = str(response.request.url)
        base = requested[: requested.find("/v1/sandboxes/")]
        return base + str(parse_json(response)["url"])

    return Call("POST", f"{sandbox_path(sandbox_id)}/ports/{port}/proxy-token", absolute)


def update_network(sandbox_id: str, policy: NetworkPolicy) -> Call[NetworkStatus]:
    if not isinstance(policy, NetworkPolicy):
        raise TypeError(f"expected NetworkPolicy, got {type(policy).__name__}")
    return Call(
        "PATCH",
        f"{sandbox_path(sandbox_id)}/network",
        lambda r: from_json(NetworkStatus, parse_json(r)),
        json=to_json(policy),
    )


def list_all(state: SandboxState | None, workspace_id: str | None) -> Call[list[Sandbox]]:
    query: dict[str, str] = {}
    if state is not None:
        query["state"] = state
    if workspace_id is not None:
        query["workspace_id"] = workspace_id
    return Call(
        "GET",
        "/v1/sandboxes",
        lambda r: list_from_json(Sandbox, parse_json(r), "sandboxes"),
        params=query,
    )


def delete(sandbox_id: str, force: bool) -> Call[None]:
    """Without ``force`` the server grants a stop grace period, so allow the create timeout."""
    return Call(
        "DELETE",
        sandbox_path(sandbox_id),
        parse_nothing,
        params={"force": "true" if force else "false"},
        timeout="create",
    )


def stop(sandbox_id: str) -> Call[Sandbox]:
    return _lifecycle(sandbox_id, "stop")


def start(sandbox_id: str) -> Call[Sandbox]:
    return _lifecycle(sandbox_id, "start")


def pause(sandbox_id: str) -> Call[Sandbox]:
    return _lifecycle(sandbox_id, "pause")


def resume(sandbox_id: str) -> Call[Sandbox]:
    return _lifecycle(sandbox_id, "resume")


def _lifecycle(sandbox_id: str, action: str) -> Call[Sandbox]:
    """``POST /v1/sandboxes/{id}/<action>``, answered once the sandbox got there.

    Stopping grants processes a grace period, starting waits for the agent, and any action
    queues behind one already under way, so each allows the create timeout.
    """
    return Call("POST", f"{sandbox_path(sandbox_id)}/{action}", _sandbox, timeout="create")


class StateWatch:
    """One ``wait_for_state``: decides after each poll whether to return, raise or wait on."""

    def __init__(
        self,
        sandbox_id: str,
        state: SandboxState,
        timeout: float | None,
        default: float,
        interval: float,
    ) -> None:
        if state not in _STATES:
            raise ValueError(f"state must be one of {', '.join(_STATES)}, got {state!r}")
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        self.sandbox_id, self.state, self.interval = sandbox_id, state, interval
        self.timeout = default if timeout is None else timeout
        self.deadline = time.monotonic() + self.timeout

    def done(self, sandbox: Sandbox) -> bool:
        """True when ``sandbox`` is in the wanted state; raises if it never will be."""
        if sandbox.state == self.state:
            return True
        if sandbox.state == "error":
            reason = sandbox.error_message or "no reason given"
            raise WorkspaceError(
                SANDBOX_NOT_RUNNING,
                f"sandbox {self.sandbox_id} entered state error while waiting for "
                f"{self.state}: {reason}",
                {"sandbox_id": self.sandbox_id, "state": "error", "error_message": reason},
            )
        return False

    def pause(self, sandbox: Sandbox) -> float:
        """Seconds to sleep before the next poll; raises (code 9002) past the deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise WorkspaceError(
                CLIENT_TIMEOUT,
                f"sandbox {self.sandbox_id} is still {sandbox.state} after {self.timeout:g} s "
                f"of waiting for {self.state}",
                {"sandbox_id": self.sandbox_id, "state": sandbox.state, "wanted": self.state},
            )
        return min(self.interval, left)
