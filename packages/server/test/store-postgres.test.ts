/**
 * The PostgreSQL store: the whole store contract (two servers on one
 * database included), then what only a networked store has to get right:
 * servers migrating at once, connections that die holding a lock or the
 * lease, sealed columns, and a database that goes away.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import {
  PostgresStore,
  StoreUnavailableError,
  ValueSealer,
  type MetadataStore,
} from '../src/store/index.js'
import { PG_MIGRATIONS } from '../src/store/postgres-migrations.js'
import { toApiError } from '../src/http/error-handler.js'
import { sandboxRecord, storeContract, workspaceRecord } from './store-contract.js'
import { testApp } from './helpers/app.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { newDatabase, startPostgres, type PostgresCluster } from './helpers/postgres.js'

/** A lock or lease never released fails its test here instead of hanging the run. */
const TIMEOUT_MS = 30_000

let cluster: PostgresCluster
before(async () => {
  cluster = await startPostgres()
})
after(() => cluster.stop())

const sealer = new ValueSealer(randomBytes(32))
const urls = new WeakMap<MetadataStore, string>()

async function openOn(url: string): Promise<PostgresStore> {
  const store = await PostgresStore.open(url, { sealer, poolSize: 4 })
  urls.set(store, url)
  return store
}

storeContract(
  'postgres',
  async () => openOn(await newDatabase(cluster.url)),
  async (store) => openOn(urls.get(store) as string),
)

/** A plain client on `url`, closed after the test. */
async function rawClient(t: { after: (fn: () => Promise<void>) => void }, url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.after(() => client.end())
  return client
}

/** The backend holding the only granted advisory lock in the database of `client`. */
async function advisoryHolder(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  )
  assert.equal(rows.length, 1, 'one advisory lock is held')
  return (rows[0] as { pid: number }).pid
}

/** Ends a backend and waits until it has exited (and so released its locks). */
async function terminate(client: pg.Client, pid: number): Promise<void> {
  const { rows } = await client.query<{ done: boolean }>(
    'SELECT pg_terminate_backend($1, 10000) AS done',
    [pid],
  )
  assert.equal(rows[0]?.done, true)
}

async function addWorkspace(store: MetadataStore, id: string): Promise<void> {
  await store.insertWorkspace(workspaceRecord(id))
}

test(
  'postgres: three servers starting at once migrate once',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const url = await newDatabase(cluster.url)
    const stores = await Promise.all([openOn(url), openOn(url), openOn(url)])
    t.after(() => Promise.all(stores.map((store) => store.close())))
    const raw = await rawClient(t, url)
    const { rows } = await raw.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    )
    assert.deepEqual(
      rows.map((row) => row.version),
      PG_MIGRATIONS.map((_, index) => index + 1),
    )
    const [first, second] = stores as [PostgresStore, PostgresStore, PostgresStore]
    await addWorkspace(first, 'ws_1')
    assert.equal((await second.getWorkspace('ws_1'))?.id, 'ws_1')
  },
)

test(
  'postgres: a leader whose connection is cut loses the lease to another',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const url = await newDatabase(cluster.url)
    const [first, second] = await Promise.all([openOn(url), openOn(url)])
    t.after(() => Promise.all([first.close(), second.close()]))
    const lease = await first.coordination.tryLead()
    assert.ok(lease)
    assert.equal(await second.coordination.tryLead(), undefined)
    const raw = await rawClient(t, url)
    await terminate(raw, await advisoryHolder(raw))
    assert.equal(await lease.check(), false, 'the lease is reported lost')
    assert.equal(await lease.check(), false, 'and stays lost')
    const next = await second.coordination.tryLead()
    assert.ok(next, 'another server leads once the connection is gone')
    assert.equal(await next.check(), true)
    await lease.release()
    assert.equal(await next.check(), true, "releasing a lost lease leaves the new leader's alone")
    await next.release()
  },
)

test(
  'postgres: a lock whose holder dies is free for others',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const url = await newDatabase(cluster.url)
    const [first, second] = await Promise.all([openOn(url), openOn(url)])
    t.after(() => Promise.all([first.close(), second.close()]))
    let entered!: () => void
    const inside = new Promise<void>((resolve) => {
      entered = resolve
    })
    let leave!: () => void
    const left = new Promise<void>((resolve) => {
      leave = resolve
    })
    const holding = first.coordination.withLock('sandbox:sb_1', async () => {
      entered()
      await left
      return 'done'
    })
    await inside
    const raw = await rawClient(t, url)
    await terminate(raw, await advisoryHolder(raw))
    assert.equal(await second.coordination.withLock('sandbox:sb_1', async () => 'ok'), 'ok')
    leave()
    assert.equal(await holding, 'done', "the holder's own work still settles")
    assert.equal(await first.coordination.withLock('sandbox:sb_1', async () => 'again'), 'again')
  },
)

test('postgres: env and agent token are sealed in the table', async (t) => {
  const url = await newDatabase(cluster.url)
  const store = await openOn(url)
  t.after(() => store.close())
  const password = 'hunter2-do-not-store-me'
  const token = 'a'.repeat(64)
  await addWorkspace(store, 'ws_1')
  const row = sandboxRecord('sb_1', { env: { SPLUNK_PASSWORD: password }, agentToken: token })
  await store.insertSandbox(row)
  const raw = await rawClient(t, url)
  const { rows } = await raw.query<{ env: string; agent_token: string }>(
    'SELECT env, agent_token FROM sandboxes',
  )
  const stored = rows[0] as { env: string; agent_token: string }
  assert.match(stored.env, /^sealed:v1:/)
  assert.match(stored.agent_token, /^sealed:v1:/)
  assert.ok(!stored.env.includes(password) && !stored.agent_token.includes(token))
  assert.deepEqual(await store.getSandbox('sb_1'), row)
})

test('postgres: past export id 65535 the lowest free id is used', async (t) => {
  const url = await newDatabase(cluster.url)
  const store = await openOn(url)
  t.after(() => store.close())
  for (const id of ['ws_a', 'ws_b', 'ws_c', 'ws_d']) await addWorkspace(store, id)
  assert.equal(await store.nfsExportId('ws_a'), 1)
  assert.equal(await store.nfsExportId('ws_b'), 2)
  // Simulate a long-lived server whose ids reached the top.
  const raw = await rawClient(t, url)
  await raw.query('UPDATE nfs_export_high_water SET last_id = 65535')
  await store.deleteWorkspaceIfUnused('ws_a')
  assert.equal(await store.nfsExportId('ws_c'), 1)
  assert.equal(await store.nfsExportId('ws_d'), 3)
})

test(
  'postgres: servers assigning export ids at once get distinct ones',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const url = await newDatabase(cluster.url)
    const [first, second] = await Promise.all([openOn(url), openOn(url)])
    t.after(() => Promise.all([first.close(), second.close()]))
    const ids = Array.from({ length: 20 }, (_, i) => `ws_${i}`)
    for (const id of ids) await addWorkspace(first, id)
    const assigned = await Promise.all(ids.map((id, i) => (i % 2 ? first : second).nfsExportId(id)))
    assert.equal(new Set(assigned).size, ids.length)
    assert.deepEqual(
      [...assigned].sort((a, b) => a - b),
      ids.map((_, i) => i + 1),
    )
  },
)

test(
  'postgres: a database that is gone makes calls reject with StoreUnavailableError',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const own = await startPostgres()
    t.after(() => own.stop())
    const url = await newDatabase(own.url)
    const store = await openOn(url)
    t.after(() => store.close())
    await addWorkspace(store, 'ws_1')
    await own.stop()
    const unavailable = (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError, `not a StoreUnavailableError: ${error}`)
      assert.match(error.message, /database is not answering/)
      return true
    }
    await assert.rejects(store.getWorkspace('ws_1'), unavailable)
    await assert.rejects(store.ping(), unavailable)
    await assert.rejects(store.nfsExportId('ws_1'), unavailable)
    await assert.rejects(
      store.coordination.withLock('k', async () => 1),
      unavailable,
    )
    await assert.rejects(store.coordination.tryLead(), unavailable)
    await assert.rejects(PostgresStore.open(url), unavailable)
    const apiError = toApiError(new StoreUnavailableError('the database is not answering'))
    assert.deepEqual([apiError.status, apiError.code], [503, 1006])
  },
)

test(
  'postgres: the API answers 503 code 1006 while the database is away',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const own = await startPostgres()
    t.after(() => own.stop())
    const runtime = new FakeRuntime({ engine: new FakeEngine({ images: [] }) })
    let expire: (() => Promise<void>) | undefined
    const { app } = await testApp(
      t,
      { WM_DATABASE_URL: await newDatabase(own.url) },
      {
        runtime,
        expose: (services) => (expire = () => services.sandboxes.lifecycle.expire()),
      },
    )
    const created = await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
    assert.equal(created.statusCode, 201, created.body)
    const id = created.json<{ id: string }>().id
    assert.equal((await app.inject({ method: 'GET', url: `/v1/workspaces/${id}` })).statusCode, 200)
    await own.stop()
    for (const url of ['/v1/workspaces', `/v1/workspaces/${id}`]) {
      const response = await app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 503, response.body)
      assert.equal(response.json<{ error: { code: number } }>().error.code, 1006)
    }
    // The expiry timer's sweep logs the outage and resolves: a rejection there would be
    // unhandled and end the process.
    await expire!()
  },
)
