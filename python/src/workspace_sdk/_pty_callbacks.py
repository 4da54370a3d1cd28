"""Calling PTY callbacks: plain functions or coroutine functions, errors logged, not raised.

Why: a session's reader must survive a faulty callback (the terminal is still useful),
and must await a coroutine callback before the next output so that bytes arrive in order.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import WorkspaceError

logger = logging.getLogger("workspace_sdk.pty")

DataCallback = Callable[[bytes], Any]
ExitCallback = Callable[[int], Any]
ErrorCallback = Callable[[WorkspaceError], Any]
CloseCallback = Callable[[], Any]


def start(callback: Callable[..., Any], *args: Any) -> Awaitable[Any] | None:
    """Call ``callback``; return what is left to await if it was a coroutine function."""
    try:
        result = callback(*args)
    except Exception:
        logger.exception("a PTY callback raised")
        return None
    return result if inspect.isawaitable(result) else None


async def settle(awaitable: Awaitable[Any] | None) -> None:
    if awaitable is None:
        return
    try:
        await awaitable
    except Exception:
        logger.exception("a PTY callback raised")


async def call(callback: Callable[..., Any], *args: Any) -> None:
    await settle(start(callback, *args))


async def finish_flush(pending: Awaitable[Any], callback: DataCallback, rest: list[bytes]) -> None:
    await settle(pending)
    for chunk in rest:
        await call(callback, chunk)
