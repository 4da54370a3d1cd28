"""Shared helpers: a clean environment, and clients wired to an httpx.MockTransport.

Why: unit tests must not depend on the developer's shell (WORKSPACE_API_URL etc.),
and every service method is checked on both clients through one ``invoke`` helper,
so each table of cases runs once sync and once async. The live tests' fixtures
(``client``, ``ws``) are in ``live.py``, registered here so that any test module can ask for them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from workspace_sdk import AsyncWorkspaceClient, WorkspaceClient
from workspace_sdk._config import ENV_VARS

pytest_plugins = ["live"]

URL = "http://127.0.0.1:8080"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for names, _ in ENV_VARS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


class Recorder:
    """A MockTransport handler that records every request it answers."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def reply(status: int = 200, body: Any = None, **kwargs: Any) -> Handler:
    """A handler answering every request with one JSON (or raw bytes) response."""

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, **kwargs)
        if body is None:
            return httpx.Response(status, **kwargs)
        return httpx.Response(status, json=body, **kwargs)

    return handler


def error_reply(code: int, status: int, message: str = "boom") -> Handler:
    return reply(status, {"error": {"code": code, "message": message, "details": {"x": 1}}})


def make_client(kind: str, handler: Handler, **options: Any) -> Any:
    options.setdefault("api_url", URL)
    transport = httpx.MockTransport(handler)
    if kind == "sync":
        return WorkspaceClient(transport=transport, **options)
    return AsyncWorkspaceClient(transport=transport, **options)


def invoke(kind: str, handler: Handler, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``client.<service>.<method>`` (``service`` defaults to ``workspace``) on a fresh
    sync or async client; an iterator result (event streams) is collected into a list."""
    options = kwargs.pop("client_options", {})
    service = kwargs.pop("service", "workspace")
    if kind == "sync":
        with make_client(kind, handler, **options) as client:
            result = getattr(getattr(client, service), method)(*args, **kwargs)
            return list(result) if isinstance(result, Iterator) else result

    async def main() -> Any:
        async with make_client(kind, handler, **options) as client:
            result = getattr(getattr(client, service), method)(*args, **kwargs)
            if isinstance(result, AsyncIterator):
                return [item async for item in result]
            return await result

    return asyncio.run(main())


def body_json(request: httpx.Request) -> Any:
    return json.loads(request.content)
