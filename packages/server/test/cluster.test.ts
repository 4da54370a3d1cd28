import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { SqliteStore } from '../src/store/index.js'
import { TestLease, leasedReplica } from './helpers/shared-lease.js'
import { Leadership } from '../src/cluster/leadership.js'
import {
  INSTANCE_ID_FILE,
  InstanceMismatchError,
  checkInstance,
  checkTokenSecret,
} from '../src/cluster/instance-check.js'
import { ActivityTracker } from '../src/services/activity.js'
import { SharedActivity } from '../src/cluster/shared-activity.js'
import { sandboxRecord } from './store-contract.js'

const log = pino({ level: 'silent' })

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-cluster-'))
  t.after(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

function election(store: SqliteStore, id: string, events: string[]): Leadership {
  return new Leadership({
    store,
    replicaId: id,
    intervalMs: 60_000,
    log,
    onLead: async () => void events.push(`${id} leads`),
    onFollow: async () => void events.push(`${id} follows`),
    onTick: async () => void events.push(`${id} tick`),
  })
}

test('one of two replicas leads; when its lease is lost the other takes over and both say who leads', async (t) => {
  const shared = new SqliteStore(':memory:')
  t.after(() => shared.close())
  const lease = new TestLease()
  const events: string[] = []
  const a = election(leasedReplica(shared, lease, 'a'), 'a', events)
  const b = election(leasedReplica(shared, lease, 'b'), 'b', events)
  await a.start()
  await b.start()
  t.after(async () => {
    await a.close()
    await b.close()
  })
  assert.deepEqual(a.status(), { id: 'a', leader: true, leaderId: 'a' })
  assert.deepEqual(b.status(), { id: 'b', leader: false, leaderId: 'a' })
  await a.tick()
  assert.deepEqual(events, ['a leads', 'a tick'])

  lease.holder = undefined // a's connection died: the database freed its lock
  await b.tick()
  await a.tick()
  assert.deepEqual(events, ['a leads', 'a tick', 'b leads', 'a follows'])
  assert.deepEqual(a.status(), { id: 'a', leader: false, leaderId: 'b' })
  assert.deepEqual(b.status(), { id: 'b', leader: true, leaderId: 'b' })

  await b.close()
  assert.equal(lease.holder, undefined, 'closing gives the lease up')
  assert.deepEqual(events.at(-1), 'b follows')
  await a.tick()
  assert.equal(a.status().leader, true)
})

test('a leader whose work fails to start gives the lease up, and the start fails', async (t) => {
  const shared = new SqliteStore(':memory:')
  t.after(() => shared.close())
  const lease = new TestLease()
  const follows: string[] = []
  const broken = new Leadership({
    store: leasedReplica(shared, lease, 'a'),
    replicaId: 'a',
    intervalMs: 60_000,
    log,
    onLead: async () => {
      throw new Error('NFS port taken')
    },
    onFollow: async () => void follows.push('a'),
  })
  await assert.rejects(broken.start(), /NFS port taken/)
  t.after(() => broken.close())
  assert.equal(lease.holder, undefined)
  assert.deepEqual(follows, ['a'])
  assert.equal(broken.status().leader, false)
})

test('instance check: the first server records the data dir id; a different data dir or key is refused', async (t) => {
  const store = new SqliteStore(':memory:')
  t.after(() => store.close())
  const dataDir = await tempDir(t)
  const key = randomBytes(32)
  const id = await checkInstance(store, { dataDir, sealingKey: key })
  assert.equal((await fs.readFile(path.join(dataDir, INSTANCE_ID_FILE), 'utf8')).trim(), id)
  assert.equal(
    await checkInstance(store, { dataDir, sealingKey: key }),
    id,
    'the same setup passes',
  )

  const otherDir = await tempDir(t)
  await assert.rejects(
    checkInstance(store, { dataDir: otherDir, sealingKey: key }),
    (error: Error) =>
      error instanceof InstanceMismatchError && /has no instance-id/.test(error.message),
  )
  await fs.writeFile(path.join(otherDir, INSTANCE_ID_FILE), 'another-instance\n')
  await assert.rejects(
    checkInstance(store, { dataDir: otherDir, sealingKey: key }),
    /belongs to instance another-instance but the database to instance/,
  )
  await assert.rejects(
    checkInstance(store, { dataDir, sealingKey: randomBytes(32) }),
    /secret\.key is not the key instance/,
  )
})

test('instance check: servers starting at once on one new data dir agree on one id', async (t) => {
  const store = new SqliteStore(':memory:')
  t.after(() => store.close())
  const dataDir = await tempDir(t)
  const key = randomBytes(32)
  const ids = await Promise.all(
    Array.from({ length: 5 }, () => checkInstance(store, { dataDir, sealingKey: key })),
  )
  assert.equal(new Set(ids).size, 1)
})

test('token secret: the leader records its own; a follower with another is refused', async (t) => {
  const store = new SqliteStore(':memory:')
  t.after(() => store.close())
  await checkTokenSecret(store, 'one', true)
  await checkTokenSecret(store, 'one', false)
  await assert.rejects(checkTokenSecret(store, 'two', false), /differs from the leader’s/)
  await checkTokenSecret(store, 'two', true) // all restarted with a new secret: the leader's wins
  await checkTokenSecret(store, 'two', false)
})

test('shared activity: what one replica saw reaches the other, busy sandboxes count as used now', async (t) => {
  const store = new SqliteStore(':memory:')
  t.after(() => store.close())
  await store.insertWorkspace({
    id: 'ws_1',
    name: null,
    metadata: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    quotaBytes: null,
    quotaId: null,
  })
  const created = new Date(1_000).toISOString()
  for (const id of ['sb_1', 'sb_2'])
    await store.insertSandbox(sandboxRecord(id, { createdAt: created }))
  let now = 10_000
  const clock = () => now
  const seenByA = new ActivityTracker(0, clock)
  const seenByB = new ActivityTracker(0, clock)
  const a = new SharedActivity({ store, activity: seenByA, log, intervalMs: 60_000 })
  const b = new SharedActivity({ store, activity: seenByB, log, intervalMs: 60_000 })
  seenByA.touch('sb_1', 5_000)
  const end = seenByA.begin('sb_2') // a stream open on A
  now = 20_000
  await a.sync()
  await b.sync()
  assert.equal(seenByB.lastActivity({ id: 'sb_1', createdAt: created }), 5_000)
  assert.equal(seenByB.lastActivity({ id: 'sb_2', createdAt: created }), 20_000)
  now = 30_000
  await a.sync() // still open: used now
  await b.sync()
  assert.equal(seenByB.lastActivity({ id: 'sb_2', createdAt: created }), 30_000)
  end()
  await a.stop()
  await b.stop()
})
