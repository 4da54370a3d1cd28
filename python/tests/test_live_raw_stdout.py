"""Live: ``stream_stdout`` of the blocking and asyncio clients against a real sandbox."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from live import TEMPLATE, async_sandbox, skip_unless_live

from workspace_sdk import (
    CreateSandboxParams,
    RunCommandOptions,
    Workspace,
    WorkspaceClient,
    WorkspaceError,
)

pytestmark = skip_unless_live
RANDOM = RunCommandOptions(args=["-c", "head -c 8388608 /dev/urandom | tee /tmp/raw-py"])


def test_stream_stdout(client: WorkspaceClient, ws: Workspace) -> None:
    sb = client.sandbox.create(CreateSandboxParams(workspace_id=ws.id, template=TEMPLATE))
    digest, size = hashlib.sha256(), 0
    with client.process.stream_stdout(sb.id, "sh", RANDOM) as out:
        for chunk in out:
            digest.update(chunk)
            size += len(chunk)
    assert (out.exit_code, out.timed_out, size) == (0, False, 8 * 2**20)
    written = client.process.exec(sb.id, "sha256sum", "/tmp/raw-py")
    assert digest.hexdigest() == written.split()[0]

    failing = RunCommandOptions(args=["-c", "printf partial; echo oops >&2; exit 6"])
    with client.process.stream_stdout(sb.id, "sh", failing) as out:
        assert b"".join(out) == b"partial"
    assert out.exit_code == 6
    stderr = [e.data for e in client.process.attach(sb.id, out.pid) if e.type == "stderr"]
    assert stderr == ["oops\n"]

    # Leaving the block early closes the stream, and the process is killed.
    with client.process.stream_stdout(sb.id, "yes") as out:
        assert next(iter(out)).startswith(b"y\n")
    assert out.exit_code is None
    while (info := next(p for p in client.process.list(sb.id) if p.pid == out.pid)).state != (
        "exited"
    ):
        pass
    assert info.exit_code == 137

    with pytest.raises(WorkspaceError) as refused, client.process.stream_stdout(sb.id, "nope"):
        pass
    assert (refused.value.code, refused.value.status) == (1001, 400)


def test_stream_stdout_async() -> None:
    async def main() -> None:
        async with async_sandbox("live-raw-stdout-async") as (client, sb):
            digest, size = hashlib.sha256(), 0
            async with client.process.stream_stdout(sb.id, "sh", RANDOM) as out:
                async for chunk in out:
                    digest.update(chunk)
                    size += len(chunk)
            assert (out.exit_code, size) == (0, 8 * 2**20)
            written = await client.process.exec(sb.id, "sha256sum", "/tmp/raw-py")
            assert digest.hexdigest() == written.split()[0]

    asyncio.run(main())
