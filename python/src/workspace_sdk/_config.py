"""Client configuration: explicit argument, then environment variable, then default.

Why one module: every setting the SDK honours is resolved and validated here, once,
when a client is built, so a typo in an environment variable fails loudly at
construction (naming the variable) instead of surfacing as an odd network error
later. The variables and defaults follow ``seeds/workspace_manager-README.md`` with
the two deviations of ``DESIGN.md``: the default URL is ``http://127.0.0.1:8080`` and
``CONTAINER_WORKSPACE_DIR`` defaults to ``/workspace``. ``nfs_host`` / ``nfs_port`` have
no default: unset, ``client.nfs`` takes them from each workspace's ``nfs_url``, which is
where the server says it serves NFS; set, they override it (an SSH tunnel, a NAT address).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import ConfigurationError

T = TypeVar("T")

DEFAULT_API_URL = "http://127.0.0.1:8080"

# argument name -> environment variables (first set one wins) and default, for docs and errors.
ENV_VARS: dict[str, tuple[tuple[str, ...], object]] = {
    "api_url": (("WORKSPACE_API_URL", "WM_BASE_URL"), DEFAULT_API_URL),
    "api_key": (("WORKSPACE_API_KEY",), None),
    "api_key_header": (("WORKSPACE_API_KEY_HEADER",), "X-API-Key"),
    "timeout": (("WM_REQUEST_TIMEOUT",), 60.0),
    "file_timeout": (("WM_FILE_TIMEOUT",), 120.0),
    "exec_timeout": (("WM_EXEC_TIMEOUT",), 300.0),
    "create_timeout": (("WM_CREATE_TIMEOUT",), 1200.0),
    "verify_tls": (("WM_VERIFY_TLS",), True),
    "allow_insecure_tls": (("WM_ALLOW_INSECURE_TLS",), False),
    "allow_insecure_http": (("WM_ALLOW_INSECURE_HTTP",), False),
    "max_file_transfer_bytes": (("WM_MAX_FILE_TRANSFER_BYTES",), 1_073_741_824),
    "public_base_url": (("WORKSPACE_PUBLIC_BASE_URL",), None),
    "nfs_host": (("WM_NFS_HOST",), None),  # None: the host of the workspace's nfs_url
    "nfs_port": (("WM_NFS_PORT",), None),  # None: the port of the workspace's nfs_url
    "container_workspace_dir": (("CONTAINER_WORKSPACE_DIR",), "/workspace"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class ClientConfig:
    """Every resolved client setting. Durations are seconds; sizes are bytes."""

    api_url: str
    api_key: str | None = field(repr=False)  # a secret: kept out of logs and tracebacks
    api_key_header: str
    timeout: float
    file_timeout: float
    exec_timeout: float
    create_timeout: float
    verify_tls: bool
    allow_insecure_tls: bool
    allow_insecure_http: bool
    max_file_transfer_bytes: int
    public_base_url: str | None
    nfs_host: str | None  # None: take it from the workspace's nfs_url
    nfs_port: int | None  # None: take it from the workspace's nfs_url
    container_workspace_dir: str


def resolve_config(
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
    env: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Resolve every setting (argument, then ``env`` or ``os.environ``, then default) and check it.

    Raises ``ConfigurationError`` (a ``WorkspaceError`` and a ``ValueError``, code 9000)
    naming the argument or variable at fault.
    """
    environ = os.environ if env is None else env

    def get(name: str, explicit: object, parse: Callable[[object, str], T]) -> T:
        names, default = ENV_VARS[name]
        if explicit is not None:
            return parse(explicit, f"argument {name}")
        for var in names:
            raw = environ.get(var)
            if raw is not None and raw.strip() != "":
                return parse(raw.strip(), f"environment variable {var}")
        return parse(default, f"default {name}") if default is not None else None  # type: ignore[return-value]

    allow_http = get("allow_insecure_http", allow_insecure_http, _to_bool)
    allow_tls = get("allow_insecure_tls", allow_insecure_tls, _to_bool)
    verify = get("verify_tls", verify_tls, _to_bool)
    url = get("api_url", api_url, lambda v, src: _to_api_url(v, src, allow_http))
    if not verify and not allow_tls:
        raise ConfigurationError(
            "TLS verification can only be disabled (verify_tls=False / WM_VERIFY_TLS=false) "
            "together with the explicit opt-in allow_insecure_tls=True / WM_ALLOW_INSECURE_TLS=true"
        )
    return ClientConfig(
        api_url=url,
        api_key=get("api_key", api_key, _to_str),
        api_key_header=get("api_key_header", api_key_header, _to_header_name),
        timeout=get("timeout", timeout, _to_seconds),
        file_timeout=get("file_timeout", file_timeout, _to_seconds),
        exec_timeout=get("exec_timeout", exec_timeout, _to_seconds),
        create_timeout=get("create_timeout", create_timeout, _to_seconds),
        verify_tls=verify,
        allow_insecure_tls=allow_tls,
        allow_insecure_http=allow_http,
        max_file_transfer_bytes=get("max_file_transfer_bytes", max_file_transfer_bytes, _to_size),
        public_base_url=get("public_base_url", public_base_url, _to_public_url),
        nfs_host=get("nfs_host", nfs_host, _to_host),
        nfs_port=get("nfs_port", nfs_port, _to_port),
        container_workspace_dir=get(
            "container_workspace_dir", container_workspace_dir, _to_absolute_path
        ),
    )


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, any 127.0.0.0/8 address and ``::1``."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fail(source: str, expected: str, value: object) -> ConfigurationError:
    return ConfigurationError(f"{source} must be {expected}, got {value!r}")


def _to_str(value: object, source: str) -> str:
    if not isinstance(value, str):
        raise _fail(source, "a string", value)
    return value


def _to_bool(value: object, source: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _fail(source, "a boolean (1/true/yes/on or 0/false/no/off)", value)


def _to_seconds(value: object, source: str) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _fail(source, "a number of seconds", value) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise _fail(source, "a positive number of seconds", value)
    return seconds


def _to_int(value: object, source: str, expected: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _fail(source, expected, value)
    try:
        return int(value)
    except ValueError:
        raise _fail(source, expected, value) from None


def _to_size(value: object, source: str) -> int:
    size = _to_int(value, source, "a positive whole number of bytes")
    if size <= 0:
        raise _fail(source, "a positive whole number of bytes", value)
    return size


def _to_port(value: object, source: str) -> int:
    port = _to_int(value, source, "a port number (1-65535)")
    if not 1 <= port <= 65535:
        raise _fail(source, "a port number (1-65535)", value)
    return port


def _to_host(value: object, source: str) -> str:
    """A host name or IP address; an IPv6 address may come in brackets and is kept without."""
    host = value.strip().removeprefix("[").removesuffix("]") if isinstance(value, str) else ""
    if not host or any(char in host for char in "/,@[] \t"):
        raise _fail(source, "a host name or IP address", value)
    return host


def _to_header_name(value: object, source: str) -> str:
    if not isinstance(value, str) or not _HEADER_NAME.match(value):
        raise _fail(source, "an HTTP header name", value)
    return value


def _to_absolute_path(value: object, source: str) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise _fail(source, "an absolute path", value)
    return value


def _check_http_url(value: object, source: str) -> tuple[str, str, str]:
    """Return (url without trailing slash, scheme, host) or raise."""
    if not isinstance(value, str):
        raise _fail(source, "an http:// or https:// URL", value)
    url = value.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _fail(source, "an http:// or https:// URL", value) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise _fail(source, "an http:// or https:// URL with a host", value)
    return url, scheme, host


def _to_api_url(value: object, source: str, allow_insecure_http: bool) -> str:
    url, scheme, host = _check_http_url(value, source)
    if scheme == "http" and not allow_insecure_http and not is_loopback_host(host):
        raise ConfigurationError(
            f"{source} is {url!r}: plain http:// is only allowed for loopback hosts "
            "(localhost, 127.0.0.0/8, ::1); use https:// or opt in with "
            "allow_insecure_http=True / WM_ALLOW_INSECURE_HTTP=true"
        )
    return url


def _to_public_url(value: object, source: str) -> str:
    return _check_http_url(value, source)[0]
