import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SqliteStore } from '../src/store/index.js'
import { INSTANCE_ID_FILE } from '../src/cluster/instance-check.js'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/** Runs wm-server until it exits (it must refuse to start); resolves its exit code and stderr. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stderr }))
  })
}

test('wm-server refuses a data dir whose instance id is not the database’s, saying why (exit 78)', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-refusal-'))
  t.after(() => fs.rm(dataDir, { recursive: true, force: true }))
  // The database was made by instance "first"; the data dir now claims another.
  const store = new SqliteStore(path.join(dataDir, 'wm.db'))
  await store.claimSetting('instance_id', 'first')
  await store.close()
  await fs.writeFile(path.join(dataDir, INSTANCE_ID_FILE), 'second\n')
  const { code, stderr } = await runServer({
    WM_DATA_DIR: dataDir,
    WM_PORT: '0',
    WM_HOST: '127.0.0.1',
    WM_NFS_ENABLED: 'false',
  })
  assert.equal(code, 78, stderr)
  assert.match(
    stderr,
    /refusing to start: WM_DATA_DIR \(.*\) belongs to instance second but the database to instance first/,
  )
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace')
})
