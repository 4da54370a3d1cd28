import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { SqliteStore } from '../src/store/index.js'
import { storeContract } from './store-contract.js'
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
