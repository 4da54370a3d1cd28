/**
 * Secrets in the store (a sandbox's env and agent token) are sealed with a
 * key kept beside the database; the database file alone gives none away.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { SqliteStore, ValueSealer, loadOrCreateKey } from '../src/store/index.js'
import type { SandboxRecord } from '../src/store/index.js'
import { storeContract, workspaceRecord } from './store-contract.js'
import { tempDir } from './helpers/app.js'

storeContract('sqlite (sealed)', async () => {
  return new SqliteStore(':memory:', { sealer: new ValueSealer(randomBytes(32)) })
})

const PASSWORD = 'hunter2-do-not-store-me'
const TOKEN = 'a'.repeat(64)
const SECRET = 'sk-secret-value-do-not-store-me'
const CA_KEY = 'ca-private-key-do-not-store-me'

async function storeWithSandbox(file: string, sealer?: ValueSealer): Promise<SqliteStore> {
  const store = new SqliteStore(file, sealer ? { sealer } : {})
  const now = new Date().toISOString()
  await store.insertWorkspace(workspaceRecord('ws_1'))
  const record: SandboxRecord = {
    id: 'sb_1',
    workspaceId: 'ws_1',
    name: null,
    template: 'workspace-test:latest',
    state: 'running',
    env: { SPLUNK_PASSWORD: PASSWORD, PLAIN: 'visible' },
    metadata: { note: 'kept in the clear' },
    timeout: null,
    nanoCpus: 1e9,
    memoryBytes: 2 ** 30,
    diskBytes: null,
    networkMode: 'none',
    networkAllow: null,
    egressSecrets: {
      ca: { cert: 'cert', key: CA_KEY },
      secrets: [
        { name: 'API_KEY', value: SECRET, hosts: ['api.test'], placeholder: 'wm-secret-0' },
      ],
    },
    applicationKind: null,
    errorMessage: null,
    agentToken: TOKEN,
    createdAt: now,
    updatedAt: now,
    expiresAt: null,
    desiredState: 'running',
    operation: null,
    onIdle: 'delete',
    onTimeout: 'delete',
    autoResume: false,
    image: null,
  }
  await store.insertSandbox(record)
  return store
}

async function fileBytes(dir: string): Promise<string> {
  let all = ''
  for (const name of await fs.readdir(dir))
    all += (await fs.readFile(path.join(dir, name))).toString('latin1')
  return all
}

test('sealed: env and agent token round-trip, and neither is in the database files', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'db', 'wm.db')
  const sealer = new ValueSealer(loadOrCreateKey(path.join(dir, 'secret.key')))
  const store = await storeWithSandbox(file, sealer)
  const back = await store.getSandbox('sb_1')
  assert.deepEqual(back?.env, { SPLUNK_PASSWORD: PASSWORD, PLAIN: 'visible' })
  assert.equal(back?.agentToken, TOKEN)
  assert.equal(back?.egressSecrets?.secrets[0]?.value, SECRET)
  await store.close()
  const raw = new Database(file, { readonly: true })
  const row = raw
    .prepare('SELECT env, agent_token, metadata, egress_secrets FROM sandboxes')
    .get() as Record<string, string>
  raw.close()
  assert.match(row.env!, /^sealed:v1:/)
  assert.match(row.agent_token!, /^sealed:v1:/)
  assert.match(row.egress_secrets!, /^sealed:v1:/)
  assert.equal(row.metadata, '{"note":"kept in the clear"}')
  const onDisk = await fileBytes(path.dirname(file))
  assert.ok(!onDisk.includes(PASSWORD), 'the password is in a database file')
  assert.ok(!onDisk.includes(TOKEN), 'the agent token is in a database file')
  assert.ok(!onDisk.includes(SECRET), 'a secret is in a database file')
  assert.ok(!onDisk.includes(CA_KEY), "a sandbox CA's key is in a database file")

  // Another key cannot open them, and says why rather than returning garbage.
  const other = new SqliteStore(file, { sealer: new ValueSealer(randomBytes(32)) })
  t.after(() => other.close())
  await assert.rejects(() => other.getSandbox('sb_1'), /key file is not the one/)
})

test('sealed: rows written before sealing are still read', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'wm.db')
  await (await storeWithSandbox(file)).close()
  const sealed = new SqliteStore(file, { sealer: new ValueSealer(randomBytes(32)) })
  t.after(() => sealed.close())
  const back = await sealed.getSandbox('sb_1')
  assert.equal(back?.env?.SPLUNK_PASSWORD, PASSWORD)
  assert.equal(back?.agentToken, TOKEN)
})

test('sealed: the key file is made 0600 once, reused, and refused when others can read it', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'secret.key')
  const first = loadOrCreateKey(file)
  assert.equal(first.length, 32)
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600)
  assert.deepEqual(loadOrCreateKey(file), first)
  await fs.chmod(file, 0o644)
  assert.throws(() => loadOrCreateKey(file), /can be read by others.*chmod 600/)
  await fs.chmod(file, 0o600)
  await fs.writeFile(file, 'short')
  assert.throws(() => loadOrCreateKey(file), /holds 5 bytes/)
  assert.throws(() => new ValueSealer(Buffer.alloc(16)), /32 bytes/)
})
