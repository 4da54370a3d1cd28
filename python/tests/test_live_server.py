"""Live: ``client.server`` on both clients against a real server."""

from __future__ import annotations

import asyncio
import re

from live import client_options, skip_unless_live

from workspace_sdk import AsyncWorkspaceClient, ServerHealth, WorkspaceClient

pytestmark = skip_unless_live


def check_health(health: ServerHealth) -> None:
    assert health.status == "ok"
    assert re.match(r"^\d+\.\d+\.\d+", health.version)
    assert health.replica.id
    assert isinstance(health.replica.leader, bool)
    # The leader writes its own id into the store as it takes the lease.
    if health.replica.leader:
        assert health.replica.leader_id == health.replica.id


def test_health_and_ready(client: WorkspaceClient) -> None:
    check_health(client.server.health())
    readiness = client.server.ready()
    assert readiness.ready, readiness.checks
    assert (readiness.checks["store"], readiness.checks["engine"]) == ("ok", "ok")


def test_async_health_and_ready() -> None:
    async def main() -> None:
        async with AsyncWorkspaceClient(**client_options()) as client:
            check_health(await client.server.health())
            readiness = await client.server.ready()
            assert readiness.ready, readiness.checks

    asyncio.run(main())
