"""The one HTTP transport a client makes, in a sync and an async flavour.

Why this shape: a service describes each API operation once as a ``Call`` (method,
path, query, body, which timeout, how to parse the reply). ``SyncHTTP`` and
``AsyncHTTP`` only differ in how they send it, so request building, error mapping
and response parsing are shared and the sync and async services stay one-liners.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import httpx

from ._config import ClientConfig
from ._version import __version__
from .errors import (
    CLIENT_BAD_RESPONSE,
    CLIENT_NETWORK_ERROR,
    CLIENT_TIMEOUT,
    PAYLOAD_TOO_LARGE,
    WorkspaceError,
    error_from_response,
)

T = TypeVar("T")
TimeoutKind = Literal["request", "file", "exec", "create"]
USER_AGENT = f"workspace-sdk-python/{__version__}"
_ERROR_BODY_LIMIT = 64 * 1024  # enough for any error envelope; a huge HTML page is cut


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API request and how to read its successful reply.

    ``timeout`` names one of the configured timeouts, or gives seconds outright (a
    command's own timeout plus some slack).
    """

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, str] | None = None
    json: Any = None
    timeout: TimeoutKind | float = "request"
    headers: Mapping[str, str] | None = None


def parse_json(response: httpx.Response) -> Any:
    """Decode a successful JSON reply, or raise code 9003 naming the request."""
    try:
        return response.json()
    except ValueError:
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE,
            f"{response.request.method} {response.request.url} answered {response.status_code} "
            f"with a body that is not JSON: {response.content[:200]!r}",
            status=response.status_code,
        ) from None


def parse_nothing(response: httpx.Response) -> None:
    """For replies whose body carries nothing of interest (``204``)."""


def too_large(limit: int, what: str) -> WorkspaceError:
    """The client-side transfer cap was exceeded (code 1004, no HTTP status)."""
    return WorkspaceError(
        PAYLOAD_TOO_LARGE,
        f"{what} exceeds the transfer cap of {limit} bytes (max_file_transfer_bytes / "
        "WM_MAX_FILE_TRANSFER_BYTES)",
        {"limit": limit},
    )


def client_options(config: ClientConfig) -> dict[str, Any]:
    """Keyword arguments shared by ``httpx.Client`` and ``httpx.AsyncClient``."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if config.api_key:
        headers[config.api_key_header] = config.api_key
    return {
        "base_url": config.api_url,
        "headers": headers,
        "timeout": httpx.Timeout(config.timeout),
        "verify": config.verify_tls,
        "follow_redirects": False,
    }


def _timeout(config: ClientConfig, kind: TimeoutKind | float) -> httpx.Timeout:
    if not isinstance(kind, str):
        return httpx.Timeout(float(kind))
    seconds = {
        "request": config.timeout,
        "file": config.file_timeout,
        "exec": config.exec_timeout,
        "create": config.create_timeout,
    }[kind]
    return httpx.Timeout(seconds)


@contextmanager
def _mapped_errors(call: Call[Any], config: ClientConfig) -> Iterator[None]:
    """Turn httpx's transport failures into ``WorkspaceError`` with a clear message."""
    where = f"{call.method} {config.api_url}{call.path}"
    try:
        yield
    except httpx.TimeoutException as exc:
        raise WorkspaceError(
            CLIENT_TIMEOUT,
            f"{where} timed out ({type(exc).__name__}); raise the timeout if the server is slow",
        ) from exc
    except httpx.TransportError as exc:
        raise WorkspaceError(
            CLIENT_NETWORK_ERROR,
            f"{where} failed: {type(exc).__name__}: {exc or 'connection failed'}; "
            "is the server running and the URL right?",
        ) from exc


def _check_declared_size(response: httpx.Response, limit: int) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit, f"the download ({declared} bytes)")


class SyncHTTP:
    """Blocking transport: one ``httpx.Client`` for the life of a ``WorkspaceClient``."""

    def __init__(self, config: ClientConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._client = httpx.Client(transport=transport, **client_options(config))

    def call(self, call: Call[T], content: bytes | Iterable[bytes] | None = None) -> T:
        """Send ``call`` (optionally with a raw or streamed body) and parse its reply."""
        with _mapped_errors(call, self.config):
            response = self._client.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                content=content,
                headers=call.headers,
                timeout=_timeout(self.config, call.timeout),
            )
        if response.is_error:
            raise error_from_response(
                response.status_code, response.content, response.reason_phrase
            )
        return call.parse(response)

    @contextmanager
    def stream(self, call: Call[Any]) -> Iterator[httpx.Response]:
        """Send ``call`` and yield the successful response with its body still unread.

        Network failures while the caller reads the body are mapped like any other.
        """
        with (
            _mapped_errors(call, self.config),
            self._client.stream(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers=call.headers,
                timeout=_timeout(self.config, call.timeout),
            ) as response,
        ):
            if response.is_error:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= _ERROR_BODY_LIMIT:
                        break
                raise error_from_response(response.status_code, bytes(body), response.reason_phrase)
            yield response

    def download(self, call: Call[Any], sink: Callable[[bytes], object]) -> int:
        """Stream the reply body of ``call`` into ``sink``; stop and raise past the cap."""
        limit = self.config.max_file_transfer_bytes
        total = 0
        with self.stream(call) as response:
            _check_declared_size(response, limit)
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > limit:
                    raise too_large(limit, "the download")
                sink(chunk)
        return total

    def close(self) -> None:
        self._client.close()


class AsyncHTTP:
    """Asyncio transport: one ``httpx.AsyncClient`` for the life of an ``AsyncWorkspaceClient``."""

    def __init__(
        self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._client = httpx.AsyncClient(transport=transport, **client_options(config))

    async def call(self, call: Call[T], content: bytes | AsyncIterable[bytes] | None = None) -> T:
        """Send ``call`` (optionally with a raw or streamed body) and parse its reply."""
        with _mapped_errors(call, self.config):
            response = await self._client.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                content=content,
                headers=call.headers,
                timeout=_timeout(self.config, call.timeout),
            )
        if response.is_error:
            raise error_from_response(
                response.status_code, response.content, response.reason_phrase
            )
        return call.parse(response)

    def stream(self, call: Call[Any]) -> _AsyncStream:
        """See ``SyncHTTP.stream``; use with ``async with``."""
        return _AsyncStream(self, call)

    async def download(self, call: Call[Any], sink: Callable[[bytes], Awaitable[object]]) -> int:
        """Stream the reply body of ``call`` into ``sink``; stop and raise past the cap."""
        limit = self.config.max_file_transfer_bytes
        total = 0
        async with self.stream(call) as response:
            _check_declared_size(response, limit)
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    raise too_large(limit, "the download")
                await sink(chunk)
        return total

    async def aclose(self) -> None:
        await self._client.aclose()


class _AsyncStream:
    """``AsyncHTTP.stream``: a class, not an ``asynccontextmanager``, on purpose.

    Why: an event stream left unfinished is an async generator that asyncio closes at
    shutdown together with every other pending async generator, in no set order. Had
    this (and httpx's ``AsyncClient.stream``) been async generators too, the inner one
    could be closed before the outer one leaves it, and asyncio would log "generator
    didn't stop after athrow()". Here the only async generator is the caller's.
    """

    def __init__(self, http: AsyncHTTP, call: Call[Any]) -> None:
        self._http, self._call = http, call
        self._response: httpx.Response | None = None

    async def __aenter__(self) -> httpx.Response:
        call, client = self._call, self._http._client
        request = client.build_request(
            call.method,
            call.path,
            params=call.params,
            json=call.json,
            headers=call.headers,
            timeout=_timeout(self._http.config, call.timeout),
        )
        with _mapped_errors(call, self._http.config):
            response = await client.send(request, stream=True)
            if response.is_error:
                body = bytearray()
                try:
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) >= _ERROR_BODY_LIMIT:
                            break
                finally:
                    await response.aclose()
                raise error_from_response(response.status_code, bytes(body), response.reason_phrase)
        self._response = response
        return response

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if self._response is not None:
            await self._response.aclose()
        if isinstance(exc, httpx.TransportError):  # a failure while the caller read the body
            with _mapped_errors(self._call, self._http.config):
                raise exc
