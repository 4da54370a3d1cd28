import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { SqliteStore } from '../src/store/index.js'
import { MIGRATIONS } from '../src/store/migrations.js'
import { storeContract, workspaceRecord } from './store-contract.js'
import { tempDir } from './helpers/app.js'

storeContract('sqlite (memory)', async () => new SqliteStore(':memory:'))
storeContract('sqlite (file)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-store-'))
  return new SqliteStore(path.join(dir, 'nested', 'wm.db'))
})

test('sqlite: data survives a reopen and the file is in WAL mode', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'wm.db')
  const first = new SqliteStore(file)
  const now = new Date().toISOString()
  await first.insertWorkspace({
    id: 'ws_1',
    name: 'kept',
    metadata: null,
    createdAt: now,
    updatedAt: now,
    quotaBytes: null,
    quotaId: null,
  })
  await first.close()
  const second = new SqliteStore(file)
  t.after(() => second.close())
  assert.equal((await second.getWorkspace('ws_1'))?.name, 'kept')
  const header = await fs.readFile(file)
  // Bytes 18 and 19 of the SQLite header are 2 when the database is in WAL mode.
  assert.equal(header[18], 2)
  assert.equal(header[19], 2)
})

test('sqlite: past export id 65535 the lowest free id is used', async (t) => {
  const dir = await tempDir(t)
  const store = new SqliteStore(path.join(dir, 'wm.db'))
  t.after(() => store.close())
  const add = (id: string) => store.insertWorkspace(workspaceRecord(id))
  for (const id of ['ws_a', 'ws_b', 'ws_c']) await add(id)
  assert.equal(await store.nfsExportId('ws_a'), 1)
  assert.equal(await store.nfsExportId('ws_b'), 2)
  // Simulate a long-lived server whose ids reached the top.
  const Database = (await import('better-sqlite3')).default
  const raw = new Database(path.join(dir, 'wm.db'))
  raw.prepare("UPDATE sqlite_sequence SET seq = 65535 WHERE name = 'nfs_exports'").run()
  raw.close()
  await store.deleteWorkspaceIfUnused('ws_a')
  assert.equal(await store.nfsExportId('ws_c'), 1)
  await add('ws_d')
  assert.equal(await store.nfsExportId('ws_d'), 3)
})

test('sqlite: a sandbox row written before the lifecycle columns reads as it was', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'wm.db')
  const Database = (await import('better-sqlite3')).default
  const raw = new Database(file)
  // The schema as it was before the lifecycle migration (the last one).
  for (const sql of MIGRATIONS.slice(0, -1)) raw.exec(sql)
  raw.pragma(`user_version = ${MIGRATIONS.length - 1}`)
  const now = new Date().toISOString()
  raw
    .prepare('INSERT INTO workspaces (id, created_at, updated_at) VALUES (?, ?, ?)')
    .run('ws_1', now, now)
  const insert = raw.prepare(
    `INSERT INTO sandboxes (id, workspace_id, template, state, nano_cpus, memory_bytes,
       network_mode, agent_token, created_at, updated_at) VALUES (?, 'ws_1', 'img', ?, 1, 1, 'none', 't', ?, ?)`,
  )
  insert.run('sb_running', 'running', now, now)
  insert.run('sb_stopped', 'stopped', now, now)
  raw.close()
  const store = new SqliteStore(file)
  t.after(() => store.close())
  const running = await store.getSandbox('sb_running')
  assert.deepEqual(
    [
      running?.state,
      running?.desiredState,
      running?.operation,
      running?.onIdle,
      running?.onTimeout,
    ],
    ['running', 'running', null, 'delete', 'delete'],
  )
  assert.equal(running?.autoResume, false)
  assert.equal(running?.image, null)
  assert.equal((await store.getSandbox('sb_stopped'))?.desiredState, 'stopped')
})
