"""``client.sandbox`` secrets: ``secrets=`` at create, names and hosts read back, never values."""

from __future__ import annotations

from conftest import Recorder, body_json, invoke, reply

from workspace_sdk import CreateSandboxParams, Secret, SecretStatus

T0 = "2026-01-01T00:00:00.000Z"
SB = {"id": "sb1", "workspace_id": "ws1", "template": "t:1", "state": "running",
      "created_at": T0, "updated_at": T0, "network_mode": "allowlist",
      "secrets": {"OPENAI_API_KEY": {"hosts": ["api.openai.com"]},
                  "my_token": {"hosts": ["*.x.io"]}}}  # fmt: skip


def test_create_sends_secrets_and_reads_names_and_hosts(kind: str) -> None:
    recorder = Recorder(reply(201, SB))
    secrets = {
        "OPENAI_API_KEY": Secret("sk-1", ["api.openai.com"]),
        "my_token": Secret(value="t", hosts=["*.x.io"]),
    }
    sandbox = invoke(kind, recorder, "create", CreateSandboxParams("ws1", secrets=secrets),
                     service="sandbox")  # fmt: skip
    # Names are environment variable names: sent as given.
    assert body_json(recorder.last) == {
        "workspace_id": "ws1",
        "secrets": {
            "OPENAI_API_KEY": {"value": "sk-1", "hosts": ["api.openai.com"]},
            "my_token": {"value": "t", "hosts": ["*.x.io"]},
        },
    }
    assert sandbox.secrets == {
        "OPENAI_API_KEY": SecretStatus(["api.openai.com"]),
        "my_token": SecretStatus(["*.x.io"]),
    }


def test_a_secret_value_stays_out_of_repr() -> None:
    secret = Secret("sk-do-not-print", ["api.example.com"])
    assert "sk-do-not-print" not in repr(secret)
    assert "sk-do-not-print" not in repr(CreateSandboxParams("ws1", secrets={"K": secret}))


def test_a_sandbox_without_secrets_reads_as_none(kind: str) -> None:
    recorder = Recorder(reply(200, {k: v for k, v in SB.items() if k != "secrets"}))
    assert invoke(kind, recorder, "get", "sb1", service="sandbox").secrets is None
