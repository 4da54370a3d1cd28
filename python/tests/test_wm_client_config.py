"""Every client variable of the seed table, through wm_client: explicit beats env beats default.

Why again here: ``workspace_sdk``'s own tests prove the resolution (``test_config.py``); these
prove that the wm_client path reaches it and that each setting does what the table says on
the calls wm_client makes (the request it sends, the timeout it sets, the cap it enforces).
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_wm_client_support import URL, FakeApi

from wm_client import ConfigurationError, WorkspaceError, WorkspaceManagerClient


def read_timeout(request: httpx.Request) -> float:
    return request.extensions["timeout"]["read"]


def fake_client(api: FakeApi, **options: Any) -> WorkspaceManagerClient:
    """A client on the fake API that resolves base_url itself (from options or env)."""
    return WorkspaceManagerClient(transport=httpx.MockTransport(api), **options)


def test_workspace_api_url(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    fake_client(api).health()
    assert str(api.requests[-1].url) == "http://127.0.0.1:8080/health"  # default
    clean_env.setenv("WORKSPACE_API_URL", "http://localhost:9001/")
    fake_client(api).health()
    assert str(api.requests[-1].url) == "http://localhost:9001/health"
    fake_client(api, base_url="http://127.0.0.9:9002").health()
    assert str(api.requests[-1].url) == "http://127.0.0.9:9002/health"


def test_wm_base_url_is_the_fallback_alias(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    clean_env.setenv("WM_BASE_URL", "http://localhost:9003")
    fake_client(api).health()
    assert str(api.requests[-1].url) == "http://localhost:9003/health"
    clean_env.setenv("WORKSPACE_API_URL", "http://localhost:9004")
    fake_client(api).health()
    assert str(api.requests[-1].url) == "http://localhost:9004/health"  # the primary wins
    fake_client(api, base_url="http://localhost:9005").health()
    assert str(api.requests[-1].url) == "http://localhost:9005/health"


def test_workspace_api_key_and_header(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    api.client().health()
    assert "X-API-Key" not in api.requests[-1].headers  # default: no key
    clean_env.setenv("WORKSPACE_API_KEY", "env-key")
    api.client().create_workspace()
    assert {r.headers["X-API-Key"] for r in api.requests[1:]} == {"env-key"}
    api.client(api_key="explicit-key").health()
    assert api.requests[-1].headers["X-API-Key"] == "explicit-key"
    clean_env.setenv("WORKSPACE_API_KEY_HEADER", "X-Env-Header")
    api.client().health()
    assert api.requests[-1].headers["X-Env-Header"] == "env-key"
    api.client(api_key_header="X-Explicit").health()
    assert api.requests[-1].headers["X-Explicit"] == "env-key"
    assert "X-Env-Header" not in api.requests[-1].headers


def test_wm_request_timeout(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    api.client().health()
    assert read_timeout(api.requests[-1]) == 60.0
    clean_env.setenv("WM_REQUEST_TIMEOUT", "7")
    client = api.client()
    client.health()
    client.list_workspaces()
    assert {read_timeout(r) for r in api.requests[1:]} == {7.0}
    api.client(timeout=3).health()
    assert read_timeout(api.requests[-1]) == 3.0


def test_wm_exec_timeout(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()

    def exec_timeouts(**options: Any) -> tuple[float, float]:
        api.client(**options).create_workspace().exec("true")
        request = api.seen("POST", r"/v1/sandboxes/[^/]+/processes")[-1]
        return api.body(request)["timeout"], read_timeout(request)

    assert exec_timeouts() == (300.0, 330.0)  # the command's own, then HTTP with slack
    clean_env.setenv("WM_EXEC_TIMEOUT", "12")
    assert exec_timeouts() == (12.0, 42.0)
    assert exec_timeouts(exec_timeout=4) == (4.0, 34.0)


def test_wm_create_timeout(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()

    def create_timeout(**options: Any) -> float:
        api.client(**options).create_workspace()
        return read_timeout(api.seen("POST", "/v1/sandboxes")[-1])

    assert 1199 < create_timeout() <= 1200
    clean_env.setenv("WM_CREATE_TIMEOUT", "90")
    assert 89 < create_timeout() <= 90
    assert 4 < create_timeout(create_timeout=5) <= 5
    api.first_state, api.polls_until_running = "starting", 10**9
    clean_env.setenv("WM_CREATE_TIMEOUT", "0.3")
    with pytest.raises(WorkspaceError, match=r"within 0.3 s \(timeout / WM_CREATE_TIMEOUT\)"):
        api.client().create_workspace()


def test_wm_file_timeout(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    api = FakeApi()
    local = tmp_path / "f.txt"
    local.write_text("x")

    def file_timeouts(**options: Any) -> set[float]:
        ws = api.client(**options).create_workspace()
        start = len(api.requests)
        ws.write_file("a.txt", "a")
        ws.read_file("a.txt")
        ws.upload(local, "b.txt")
        ws.download("b.txt", tmp_path / "back.txt")
        transfers = [r for r in api.requests[start:] if r.url.path.endswith("/files/content")]
        assert len(transfers) == 4
        return {read_timeout(r) for r in transfers}

    assert file_timeouts() == {120.0}
    clean_env.setenv("WM_FILE_TIMEOUT", "33")
    assert file_timeouts() == {33.0}
    assert file_timeouts(file_timeout=9) == {9.0}


def test_wm_allow_insecure_http(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="WM_ALLOW_INSECURE_HTTP"):
        WorkspaceManagerClient("http://wm.example.com")  # default: refused
    clean_env.setenv("WM_ALLOW_INSECURE_HTTP", "true")
    assert WorkspaceManagerClient("http://wm.example.com").base_url == "http://wm.example.com"
    with pytest.raises(ConfigurationError, match="plain http"):
        WorkspaceManagerClient("http://wm.example.com", allow_insecure_http=False)
    clean_env.setenv("WORKSPACE_API_URL", "http://10.1.2.3:8080")
    assert WorkspaceManagerClient().config.allow_insecure_http is True


def test_wm_max_file_transfer_bytes(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    api = FakeApi()
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2048)
    assert api.client().config.max_file_transfer_bytes == 1024**3
    clean_env.setenv("WM_MAX_FILE_TRANSFER_BYTES", "1024")
    ws = api.client().create_workspace()
    before = len(api.requests)
    for refused in (lambda: ws.upload(big, "big.bin"), lambda: ws.write_file("b", b"x" * 1025)):
        with pytest.raises(WorkspaceError, match="WM_MAX_FILE_TRANSFER_BYTES") as info:
            refused()
        assert info.value.code == 1004
    assert len(api.requests) == before  # refused before anything was sent, no token minted
    api.files[(ws.id, "big.bin")] = b"y" * 2048
    target = tmp_path / "target.bin"
    target.write_bytes(b"old")
    for download in (lambda: ws.download("big.bin", target), lambda: ws.read_file("big.bin")):
        with pytest.raises(WorkspaceError, match="transfer cap of 1024"):
            download()
    assert target.read_bytes() == b"old"  # left untouched
    ws = api.client(max_file_transfer_bytes=4096).create_workspace()
    api.files[(ws.id, "big.bin")] = b"y" * 2048
    assert ws.download("big.bin", target) == 2048
    assert ws.upload(big, "big2.bin").size == 2048


def test_workspace_public_base_url(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    own = api.client().create_workspace().upload_url("a.txt")
    assert own.startswith(f"{URL}/v1/workspaces/")  # default: the server's URL as minted
    clean_env.setenv("WORKSPACE_PUBLIC_BASE_URL", "https://files.example.com/wm/")
    ws = api.client().create_workspace()
    url = ws.download_url("/workspace/a.txt")
    assert url.startswith(f"https://files.example.com/wm/v1/workspaces/{ws.id}/files/content?")
    assert "path=a.txt" in url and "token=wm1." in url
    explicit = api.client(public_base_url="https://share.example.org").create_workspace()
    assert explicit.upload_url("a.txt").startswith("https://share.example.org/v1/workspaces/")
    assert api.requests[-1].url.host == "127.0.0.1"  # the API itself is still base_url


def test_container_workspace_dir(clean_env: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    assert api.client().create_workspace().workdir == "/workspace"
    clean_env.setenv("CONTAINER_WORKSPACE_DIR", "/tmp/workspace")
    ws = api.client().create_workspace()
    assert ws.workdir == "/tmp/workspace"
    ws.exec("pwd")
    assert api.body(api.requests[-1])["cwd"] == "/tmp/workspace"
    ws.write_file("/tmp/workspace/src/x.py", "x")
    assert (ws.id, "src/x.py") in api.files
    with pytest.raises(WorkspaceError, match="outside the workspace directory /tmp/workspace"):
        ws.write_file("/workspace/x.py", "x")
    explicit = api.client(container_workspace_dir="/srv/work").create_workspace()
    assert explicit.workdir == "/srv/work"
    explicit.exec(["ls"], cwd="sub")
    assert api.body(api.requests[-1])["cwd"] == "/srv/work/sub"
    assert api.client().list_workspaces()[0].workdir == "/tmp/workspace"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "ok", "version": "tls"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """A real https server on 127.0.0.1 with a self-signed certificate; yields its URL."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]  # noqa: RUF005
        + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_wm_verify_tls_and_wm_allow_insecure_tls(
    clean_env: pytest.MonkeyPatch, self_signed_server: str
) -> None:
    with pytest.raises(WorkspaceError) as info:  # default: the certificate is checked
        WorkspaceManagerClient(self_signed_server).health()
    assert info.value.code == 9001 and "CERTIFICATE_VERIFY_FAILED" in info.value.message
    clean_env.setenv("WM_VERIFY_TLS", "false")
    with pytest.raises(ConfigurationError, match="WM_ALLOW_INSECURE_TLS"):
        WorkspaceManagerClient(self_signed_server)  # turning it off needs the opt-in
    clean_env.setenv("WM_ALLOW_INSECURE_TLS", "true")
    assert WorkspaceManagerClient(self_signed_server).health()["version"] == "tls"
    with pytest.raises(WorkspaceError, match="CERTIFICATE_VERIFY_FAILED"):
        WorkspaceManagerClient(self_signed_server, verify_tls=True).health()  # explicit wins
    clean_env.delenv("WM_VERIFY_TLS")
    clean_env.delenv("WM_ALLOW_INSECURE_TLS")
    lax = WorkspaceManagerClient(self_signed_server, verify_tls=False, allow_insecure_tls=True)
    assert lax.health()["status"] == "ok"
