import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { SqliteStore } from '../src/store/index.js'
import { TestLease, leasedReplica } from './helpers/shared-lease.js'
import type { SandboxService } from '../src/services/sandboxes.js'
import { createWorkspace } from './helpers/app.js'
import { TEST_TEMPLATE } from './helpers/sandbox.js'
import { mountsUnder, pooledContainerIds } from './helpers/warm-pool.js'

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

test('only the leader keeps a pool: a follower makes its sandboxes; when the lead moves, the old pool goes and the new leader fills its own', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-pool-replicas-'))
  const shared = new SqliteStore(path.join(dataDir, 'wm.db'))
  const lease = new TestLease()
  const replicas: Array<{ sandboxes: SandboxService; close: () => Promise<unknown> }> = []
  const start = async (who: string) => {
    const config = loadConfig({
      WM_DATA_DIR: dataDir,
      WM_NFS_ENABLED: 'false',
      WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
      WORKSPACE_DEFAULT_MEM: '512m',
      WM_WARM_POOL: `${TEST_TEMPLATE}=1`,
      WM_REPLICA_ID: who,
      WM_LEADER_CHECK_INTERVAL_SECONDS: '1',
    })
    let sandboxes: SandboxService | undefined
    const app = await buildApp(config, {
      logger: pino({ level: 'silent' }),
      store: leasedReplica(shared, lease, who, { keepOpen: true }),
      expose: (services) => (sandboxes = services.sandboxes),
    })
    await app.ready()
    replicas.push({ sandboxes: sandboxes!, close: () => app.close() })
    return { app, config, sandboxes: sandboxes!, pool: sandboxes!.pool! }
  }
  t.after(async () => {
    for (const { sandboxes } of replicas) {
      for (const row of await shared.listSandboxes()) {
        await sandboxes.delete(row.id, true).catch(() => undefined)
      }
    }
    for (const replica of replicas.reverse()) await replica.close()
    await shared.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  })
  const a = await start('a')
  const b = await start('b')
  assert.equal(lease.holder, 'a')
  await a.pool.whenFull()
  const [pooledByA] = (await pooledContainerIds(a.config)) as [string]
  assert.ok(a.pool.holds(pooledByA))
  assert.deepEqual(
    b.pool.status().map((entry) => entry.ready),
    [0],
    'the follower keeps no pool',
  )

  const workspaceId = await createWorkspace(a.app)
  const create = async (app: typeof a.app) => {
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId },
    })
    assert.equal(reply.statusCode, 201, reply.body)
    assert.equal(reply.json().state, 'running')
    return reply.json().id as string
  }
  const viaFollower = await create(b.app)
  assert.notEqual(viaFollower, pooledByA, 'a follower never hands out the leader’s pooled sandbox')
  assert.equal(await create(a.app), pooledByA, 'the leader does')

  // a refills in the background: its new sandbox is the one container of the pool but pooledByA.
  let readyOfA: string | undefined
  await until(async () => {
    ;[readyOfA] = (await pooledContainerIds(a.config)).filter((id) => id !== pooledByA)
    return readyOfA !== undefined && a.pool.holds(readyOfA)
  }, 'a refilling its pool')
  lease.holder = undefined // a's connection died: the lease is free for b
  await until(() => b.pool.status()[0]!.ready === 1, 'the new leader filling its pool')
  await until(
    async () => !(await pooledContainerIds(a.config)).includes(readyOfA!),
    'a’s pool gone',
  )
  // a learns it lost the lead at its next check; until then it may even refill once.
  await until(() => a.pool.status()[0]!.ready === 0, 'a’s pool empty')
  // A container a refilled just before it learnt may still be on its way out: wait until the
  // one pooled container left is b's.
  let readyOfB: string | undefined
  await until(async () => {
    const left = (await pooledContainerIds(a.config)).filter((id) => id !== pooledByA)
    readyOfB = left.length === 1 ? left[0] : undefined
    return readyOfB !== undefined && b.pool.holds(readyOfB)
  }, 'only the new leader’s pooled sandbox left')
  assert.notEqual(await create(a.app), readyOfB, 'the old leader serves no pooled sandbox now')
  assert.equal(await create(b.app), readyOfB, 'the new leader does')
  const rows = (await shared.listSandboxes()).map((row) => row.id).sort()
  assert.equal(new Set(rows).size, 4)
  await b.pool.whenFull()
  for (const row of rows) await b.sandboxes.delete(row, true)
  assert.deepEqual(
    (await mountsUnder(path.join(dataDir, 'pool'))).filter((point) => point.endsWith('/workspace')),
    [],
    'no workspace mount left behind',
  )
})
