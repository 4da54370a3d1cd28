/**
 * The leader dies mid-flight: the survivor takes the lease, its recovery pass
 * leaves no sandbox half-way and no container without a row, and every create
 * that was answered 201 is running. Then PostgreSQL goes away and the
 * survivor says it is not ready.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TEST_TEMPLATE, TRANSITIONAL_STATES, call, expectStatus, until } from './client.js'
import { useCluster, type Replica } from './cluster.js'

const cluster = useCluster()

/** The spec's bound on a takeover after the leader is killed. */
const TAKEOVER_BOUND_MS = 15_000
const CREATES = 20

interface Outcome {
  replica: string
  status: number | 'no answer'
  id?: string
  detail: string
}

async function isLeader(replica: Replica): Promise<boolean> {
  const health = await expectStatus(200, replica.url, 'GET', '/health')
  return health.replica?.leader === true
}

function create(replica: Replica, workspaceId: string): Promise<Outcome> {
  return call(replica.url, 'POST', '/v1/sandboxes', {
    workspace_id: workspaceId,
    template: TEST_TEMPLATE,
  }).then(
    (reply) => ({
      replica: replica.id,
      status: reply.status,
      id: reply.status === 201 ? (reply.json.id as string) : undefined,
      detail: reply.status === 201 ? reply.json.state : reply.text,
    }),
    (error: unknown) => ({ replica: replica.id, status: 'no answer', detail: String(error) }),
  )
}

test(
  'the leader killed during 20 concurrent creates: the survivor leads within 15 s and recovers every sandbox',
  { timeout: 300_000 },
  cluster.logged(async (t) => {
    const { a, b } = cluster.current
    const leader = await until('exactly one leader', 15_000, async () => {
      const [aLeads, bLeads] = await Promise.all([isLeader(a), isLeader(b)])
      if (aLeads === bLeads) return undefined
      return aLeads ? a : b
    })
    const survivor = cluster.current.other(leader)
    const workspace = await expectStatus(201, survivor.url, 'POST', '/v1/workspaces', {
      name: 'failover',
    })

    // Ten creates on each replica at once.
    const creates = Array.from({ length: CREATES }, (_, i) =>
      create(i % 2 === 0 ? a : b, workspace.id as string),
    )
    // In flight: the engine has the first container, the replies are not all in.
    await until('the first container', 60_000, async () =>
      (await cluster.current.containerSandboxIds()).length > 0 ? true : undefined,
    )
    leader.process.kill('SIGKILL')
    const killedAt = Date.now()
    await leader.process.exited

    const tookOverAt = await until('the survivor to take the lease', TAKEOVER_BOUND_MS, async () =>
      (await isLeader(survivor)) ? Date.now() : undefined,
    )
    const takeoverMs = tookOverAt - killedAt
    t.diagnostic(
      `replica ${survivor.id} took the lease ${takeoverMs} ms after ${leader.id} was killed`,
    )
    assert.ok(takeoverMs <= TAKEOVER_BOUND_MS, `takeover took ${takeoverMs} ms`)

    const outcomes = await Promise.all(creates)
    const created = outcomes.filter((outcome) => outcome.status === 201)
    t.diagnostic(
      `creates: ${created.length} answered 201, ${outcomes.length - created.length} not ` +
        `(${outcomes
          .filter((o) => o.status !== 201)
          .map((o) => `${o.replica}: ${o.status}`)
          .join(', ')})`,
    )
    // The survivor's own creates never depended on the dead replica.
    for (const outcome of outcomes.filter((o) => o.replica === survivor.id)) {
      assert.equal(outcome.status, 201, `a create on the survivor: ${outcome.detail}`)
    }

    // The recovery pass: nothing half-way, no container without its row.
    let seen = ''
    const sandboxes = await until(
      'no transitional state and no orphan container',
      90_000,
      async () => {
        const list = (await expectStatus(200, survivor.url, 'GET', '/v1/sandboxes'))
          .sandboxes as Array<Record<string, string>>
        const rows = new Set(list.map((sandbox) => sandbox.id))
        const transitional = list.filter((sandbox) =>
          (TRANSITIONAL_STATES as readonly string[]).includes(sandbox.state!),
        )
        const orphans = (await cluster.current.containerSandboxIds()).filter((id) => !rows.has(id))
        seen = JSON.stringify({
          transitional: transitional.map((sandbox) => `${sandbox.id}: ${sandbox.state}`),
          orphans,
        })
        return transitional.length === 0 && orphans.length === 0 ? list : undefined
      },
      () => seen,
    )
    const states = new Map(sandboxes.map((sandbox) => [sandbox.id, sandbox.state]))
    for (const outcome of created) {
      assert.equal(states.get(outcome.id!), 'running', `${outcome.id} (made on ${outcome.replica})`)
    }
    t.diagnostic(
      `after recovery: ${[...states.values()].sort().join(', ')} (${sandboxes.length} rows)`,
    )

    // Everything deleted through the survivor leaves no container behind.
    for (const sandbox of sandboxes) {
      await expectStatus(204, survivor.url, 'DELETE', `/v1/sandboxes/${sandbox.id}?force=true`)
    }
    assert.deepEqual(await cluster.current.containerSandboxIds(), [])
    assert.deepEqual((await expectStatus(200, survivor.url, 'GET', '/v1/sandboxes')).sandboxes, [])
    await expectStatus(204, survivor.url, 'DELETE', `/v1/workspaces/${workspace.id}`)
  }),
)

test(
  'with PostgreSQL gone, a live replica answers /ready and API calls with 503 code 1006',
  { timeout: 120_000 },
  cluster.logged(async () => {
    const live = [cluster.current.a, cluster.current.b].find((replica) => replica.process.running)
    assert.ok(live, 'a replica is still running')
    await expectStatus(200, live.url, 'GET', '/ready')
    await cluster.current.stopDatabase()

    const ready = await until('/ready to answer 503', 30_000, async () => {
      const reply = await call(live.url, 'GET', '/ready', undefined, { timeoutMs: 20_000 })
      return reply.status === 503 ? reply : undefined
    })
    assert.equal(ready.json.error.code, 1006, ready.text)
    const list = await call(live.url, 'GET', '/v1/workspaces', undefined, { timeoutMs: 30_000 })
    assert.equal(list.status, 503, list.text)
    assert.equal(list.json.error.code, 1006)
  }),
)
