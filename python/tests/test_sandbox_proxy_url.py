"""``client.sandbox.proxy_url``: a browser URL for a sandbox port, carrying a proxy token."""

from __future__ import annotations

import pytest
from conftest import URL, Recorder, error_reply, invoke, reply

from workspace_sdk import SandboxNotFoundError

MINTED = {
    "token": "wm1.a.b",
    "url": "/v1/sandboxes/a%2Fb/proxy/8000/?wm_proxy_token=wm1.a.b",
    "expires_at": "2030-01-01T00:00:00.000Z",
}


def test_proxy_url_mints_a_token_and_returns_the_absolute_url(kind: str) -> None:
    recorder = Recorder(reply(201, MINTED))
    url = invoke(kind, recorder, "proxy_url", "a/b", 8000, service="sandbox")
    assert url == f"{URL}{MINTED['url']}"
    request = recorder.last
    assert (request.method, request.url.raw_path.decode()) == (
        "POST",
        "/v1/sandboxes/a%2Fb/ports/8000/proxy-token",
    )


@pytest.mark.parametrize("port", [0, 65536, 1.5, "80", True])
def test_a_bad_port_is_refused_before_any_request(kind: str, port: object) -> None:
    recorder = Recorder(reply(201, MINTED))
    with pytest.raises(ValueError, match="port must be an integer"):
        invoke(kind, recorder, "proxy_url", "sb1", port, service="sandbox")
    assert recorder.requests == []


def test_an_unknown_sandbox_raises(kind: str) -> None:
    recorder = Recorder(error_reply(2001, 404, "sandbox gone not found"))
    with pytest.raises(SandboxNotFoundError):
        invoke(kind, recorder, "proxy_url", "gone", 80, service="sandbox")
