import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import type { SandboxService } from '../src/services/sandboxes.js'
import { freePorts } from './helpers/nfs.js'
import { TEST_TEMPLATE, containersOf } from './helpers/sandbox.js'
import { mountsUnder, pooledContainerIds } from './helpers/warm-pool.js'

const serverMain = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const POOL = `${TEST_TEMPLATE}=2`

/** Polls `condition` (a server in another process can only be watched so) until it holds. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

test('a server killed with a full pool and a claimed sandbox: the next removes the pooled leftovers, keeps the claimed one, and leaves nothing unaccounted', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-pool-restart-'))
  const env = {
    WM_DATA_DIR: dataDir,
    WM_NFS_ENABLED: 'false',
    WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
    WORKSPACE_DEFAULT_MEM: '512m',
    WM_WARM_POOL: POOL,
  }
  const config = loadConfig(env)
  const [port] = (await freePorts(1)) as [number]
  const url = `http://127.0.0.1:${port}`
  const first = spawn(process.execPath, ['--import', 'tsx', serverMain], {
    env: { ...process.env, ...env, WM_PORT: String(port), WM_LOG_LEVEL: 'warn' },
    cwd: path.dirname(serverMain),
    stdio: 'ignore',
  })
  t.after(() => first.kill('SIGKILL'))
  await until(
    async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok === true,
    'health',
  )
  const workspace = (await (await fetch(`${url}/v1/workspaces`, { method: 'POST' })).json()) as {
    id: string
  }
  await until(async () => (await pooledContainerIds(config)).length === 2, 'two pooled containers')
  // Claimed once the pool has a ready one: the create answers running either way.
  const created = (await (
    await fetch(`${url}/v1/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workspace_id: workspace.id, env: { KEPT: 'yes' } }),
    })
  ).json()) as { id: string; state: string }
  assert.equal(created.state, 'running')
  await until(async () => (await pooledContainerIds(config)).length === 3, 'the pool refilled')
  first.kill('SIGKILL')
  await new Promise((resolve) => first.once('exit', resolve))
  const leftovers = (await pooledContainerIds(config)).filter((id) => id !== created.id)
  assert.equal(leftovers.length, 2)

  let sandboxes: SandboxService | undefined
  const app = await buildApp(config, {
    logger: pino({ level: 'silent' }),
    expose: (services) => (sandboxes = services.sandboxes),
  })
  let closed = false
  t.after(async () => {
    if (!closed) {
      await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${created.id}?force=true` })
      await app.close()
    }
    await fs.rm(dataDir, { recursive: true, force: true })
  })
  await app.ready()
  const pool = sandboxes!.pool!
  await pool.whenFull()

  const rows = (await app.inject({ method: 'GET', url: '/v1/sandboxes' })).json()
    .sandboxes as Array<{
    id: string
    state: string
  }>
  assert.deepEqual(
    rows.map((row) => [row.id, row.state]),
    [[created.id, 'running']],
  )
  const live = (await containersOf(config)).map((c) => c.Labels['wm.sandbox']!)
  const held = live.filter((id) => pool.holds(id))
  assert.equal(held.length, 2, 'two new pooled sandboxes')
  assert.deepEqual(live.sort(), [created.id, ...held].sort(), 'no container unaccounted for')
  assert.ok(!leftovers.some((id) => live.includes(id)), 'the killed server’s pooled ones are gone')
  const slots = (await fs.readdir(path.join(dataDir, 'pool'))).sort()
  assert.deepEqual(slots, [created.id, ...held].sort(), 'no slot unaccounted for')
  assert.deepEqual(await mountsUnder(path.join(dataDir, 'pool', created.id)), [
    path.join(dataDir, 'pool', created.id, 'workspace'),
  ])
  for (const id of leftovers) {
    assert.deepEqual(await mountsUnder(path.join(dataDir, 'pool', id)), [])
    await assert.rejects(fs.stat(path.join(dataDir, 'sandboxes', id)), { code: 'ENOENT' })
  }
  // The claimed sandbox still works, with its env, through the new server.
  const ran = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${created.id}/processes`,
    payload: { cmd: 'sh', args: ['-c', 'echo "$KEPT"; touch /workspace/after-restart'] },
  })
  assert.equal(ran.json().stdout, 'yes\n')
  await fs.stat(path.join(dataDir, 'workspaces', workspace.id, 'after-restart'))

  const deleted = await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${created.id}` })
  assert.equal(deleted.statusCode, 204)
  await app.close()
  closed = true
  assert.deepEqual(await pooledContainerIds(config), [])
  assert.deepEqual(await mountsUnder(path.join(dataDir, 'pool')), [])
})
