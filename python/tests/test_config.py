"""Configuration: explicit argument beats environment beats default, for every setting."""

from __future__ import annotations

from typing import Any

import pytest

from workspace_sdk import ConfigurationError, WorkspaceClient, WorkspaceError
from workspace_sdk._config import ENV_VARS, is_loopback_host, resolve_config

# argument, env var, explicit value, env value (raw), env value (parsed), default
PRECEDENCE: list[tuple[str, str, Any, str, Any, Any]] = [
    ("api_url", "WORKSPACE_API_URL", "http://localhost:1", "http://127.0.0.2:2",
     "http://127.0.0.2:2", "http://127.0.0.1:8080"),
    ("api_url", "WM_BASE_URL", "http://localhost:1", "http://127.0.0.3:3/",
     "http://127.0.0.3:3", "http://127.0.0.1:8080"),
    ("api_key", "WORKSPACE_API_KEY", "explicit-key", "env-key", "env-key", None),
    ("api_key_header", "WORKSPACE_API_KEY_HEADER", "X-Explicit", "X-Env", "X-Env", "X-API-Key"),
    ("timeout", "WM_REQUEST_TIMEOUT", 5.0, "7.5", 7.5, 60.0),
    ("file_timeout", "WM_FILE_TIMEOUT", 6.0, "8", 8.0, 120.0),
    ("exec_timeout", "WM_EXEC_TIMEOUT", 7.0, "9", 9.0, 300.0),
    ("create_timeout", "WM_CREATE_TIMEOUT", 8.0, "10", 10.0, 1200.0),
    ("verify_tls", "WM_VERIFY_TLS", True, "no", False, True),
    ("allow_insecure_tls", "WM_ALLOW_INSECURE_TLS", False, "yes", True, False),
    ("allow_insecure_http", "WM_ALLOW_INSECURE_HTTP", False, "ON", True, False),
    ("max_file_transfer_bytes", "WM_MAX_FILE_TRANSFER_BYTES", 10, "20", 20, 1073741824),
    ("public_base_url", "WORKSPACE_PUBLIC_BASE_URL", "https://a.example", "https://b.example/",
     "https://b.example", None),
    ("nfs_host", "WM_NFS_HOST", "nfs-explicit", "nfs-env", "nfs-env", None),
    ("nfs_port", "WM_NFS_PORT", 3049, "4049", 4049, None),
    ("container_workspace_dir", "CONTAINER_WORKSPACE_DIR", "/x", "/y", "/y", "/workspace"),
]  # fmt: skip

# Settings that only make sense together with an opt-in when set to their env value.
COMPANIONS = {"WM_VERIFY_TLS": {"WM_ALLOW_INSECURE_TLS": "true"}}


@pytest.mark.parametrize(
    ("arg", "var", "explicit", "raw", "parsed", "default"),
    PRECEDENCE,
    ids=[row[1] for row in PRECEDENCE],
)
def test_explicit_beats_env_beats_default(
    arg: str, var: str, explicit: Any, raw: str, parsed: Any, default: Any
) -> None:
    env = {var: raw, **COMPANIONS.get(var, {})}
    assert getattr(resolve_config(env={}), arg) == default
    assert getattr(resolve_config(env=env), arg) == parsed
    assert getattr(resolve_config(env=env, **{arg: explicit}), arg) == explicit


def test_every_setting_is_covered() -> None:
    covered = {row[1] for row in PRECEDENCE}
    assert covered == {name for names, _ in ENV_VARS.values() for name in names}


def test_workspace_api_url_wins_over_legacy_alias() -> None:
    env = {"WORKSPACE_API_URL": "http://127.0.0.5:1", "WM_BASE_URL": "http://127.0.0.6:1"}
    assert resolve_config(env=env).api_url == "http://127.0.0.5:1"


def test_empty_variable_counts_as_unset() -> None:
    assert resolve_config(env={"WM_REQUEST_TIMEOUT": " "}).timeout == 60.0


def test_client_reads_os_environ(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("WORKSPACE_API_URL", "http://localhost:9999")
    clean_env.setenv("WORKSPACE_PUBLIC_BASE_URL", "https://public.example")
    with WorkspaceClient() as client:
        assert client.api_url == "http://localhost:9999"
        assert client.public_base_url == "https://public.example"
        assert client.container_workspace_dir == "/workspace"
        assert client.nfs_host is None and client.nfs_port is None  # from each nfs_url
    with WorkspaceClient("http://localhost:1") as client:
        assert client.api_url == "http://localhost:1"


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8080", "http://LOCALHOST", "http://127.0.0.1", "http://127.9.8.7:1/x",
     "http://[::1]:8080", "https://example.com", "https://10.0.0.1:8443"],
)  # fmt: skip
def test_http_allowed_for_loopback_and_https_anywhere(url: str) -> None:
    assert resolve_config(api_url=url, env={}).api_url == url


@pytest.mark.parametrize(
    "url",
    ["http://example.com", "http://10.0.0.1:8080", "http://localhost.evil.com", "http://0.0.0.0"],
)
def test_plain_http_to_remote_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="WM_ALLOW_INSECURE_HTTP") as info:
        resolve_config(api_url=url, env={})
    assert isinstance(info.value, ValueError) and isinstance(info.value, WorkspaceError)
    assert info.value.code == 9000
    with pytest.raises(ConfigurationError, match="environment variable WORKSPACE_API_URL"):
        resolve_config(env={"WORKSPACE_API_URL": url})


def test_plain_http_opt_in() -> None:
    url = "http://example.com:8080"
    assert resolve_config(api_url=url, allow_insecure_http=True, env={}).api_url == url
    env = {"WORKSPACE_API_URL": url, "WM_ALLOW_INSECURE_HTTP": "1"}
    assert resolve_config(env=env).api_url == url


def test_loopback_detection() -> None:
    assert all(map(is_loopback_host, ["localhost", "127.0.0.1", "127.255.0.1", "::1", "[::1]"]))
    assert not any(map(is_loopback_host, ["example.com", "128.0.0.1", "::2", "localhostx"]))


def test_disabling_tls_verification_needs_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="WM_ALLOW_INSECURE_TLS"):
        resolve_config(verify_tls=False, env={})
    with pytest.raises(ConfigurationError, match="WM_ALLOW_INSECURE_TLS"):
        resolve_config(env={"WM_VERIFY_TLS": "false"})
    with pytest.raises(ConfigurationError):
        WorkspaceClient(verify_tls=False)
    config = resolve_config(verify_tls=False, allow_insecure_tls=True, env={})
    assert config.verify_tls is False
    env = {"WM_VERIFY_TLS": "0", "WM_ALLOW_INSECURE_TLS": "TRUE"}
    assert resolve_config(env=env).verify_tls is False


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), ("Yes", True), ("ON", True),
     ("0", False), ("FALSE", False), ("no", False), ("Off", False)],
)  # fmt: skip
def test_boolean_spellings(raw: str, value: bool) -> None:
    assert resolve_config(env={"WM_ALLOW_INSECURE_HTTP": raw}).allow_insecure_http is value


@pytest.mark.parametrize(
    ("var", "raw"),
    [("WM_REQUEST_TIMEOUT", "abc"), ("WM_FILE_TIMEOUT", "-1"), ("WM_EXEC_TIMEOUT", "0"),
     ("WM_CREATE_TIMEOUT", "nan"), ("WM_VERIFY_TLS", "maybe"), ("WM_ALLOW_INSECURE_HTTP", "2"),
     ("WM_MAX_FILE_TRANSFER_BYTES", "1.5"), ("WM_MAX_FILE_TRANSFER_BYTES", "0"),
     ("WM_NFS_PORT", "70000"), ("WM_NFS_HOST", "host:/path"), ("WM_NFS_HOST", "a b"),
     ("WORKSPACE_API_URL", "ftp://localhost"),
     ("WORKSPACE_API_URL", "localhost:8080"), ("WORKSPACE_API_KEY_HEADER", "Bad Header"),
     ("WORKSPACE_PUBLIC_BASE_URL", "nope"), ("CONTAINER_WORKSPACE_DIR", "relative")],
)  # fmt: skip
def test_invalid_environment_value_names_the_variable(var: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=var) as info:
        resolve_config(env={var: raw})
    assert raw in info.value.message


@pytest.mark.parametrize(
    ("arg", "value"),
    [("timeout", "abc"), ("timeout", -5), ("timeout", True), ("max_file_transfer_bytes", 0),
     ("nfs_port", 0), ("verify_tls", "sometimes"), ("api_url", "http://")],
)  # fmt: skip
def test_invalid_argument_names_the_argument(arg: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=f"argument {arg}"):
        resolve_config(env={}, **{arg: value})


def test_nfs_host_takes_ipv6_with_or_without_brackets() -> None:
    assert resolve_config(nfs_host="[::1]", env={}).nfs_host == "::1"
    assert resolve_config(env={"WM_NFS_HOST": "fd00::5"}).nfs_host == "fd00::5"
    assert resolve_config(env={"WM_NFS_HOST": " nfs.example "}).nfs_host == "nfs.example"


def test_config_object_or_settings_not_both() -> None:
    config = resolve_config(api_url="http://localhost:7", env={})
    with WorkspaceClient(config=config) as client:
        assert client.config is config
    with pytest.raises(ValueError, match="not both"):
        WorkspaceClient(timeout=3, config=config)


def test_api_key_is_not_in_repr() -> None:
    with WorkspaceClient(api_key="s3cret") as client:
        assert "s3cret" not in repr(client) and "s3cret" not in repr(client.config)
