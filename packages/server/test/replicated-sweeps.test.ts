import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { SHARED_SWEEP_GRACE_MS } from '../src/cluster/leader-duties.js'
import { CHECKPOINT_LABEL } from '../src/services/checkpoints.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { newDatabase, startPostgres, type PostgresCluster } from './helpers/postgres.js'

let cluster: PostgresCluster
before(async () => {
  cluster = await startPostgres()
})
after(() => cluster.stop())

const exists = (file: string) =>
  fs.stat(file).then(
    () => true,
    () => false,
  )

test('the leader of several servers sweeps old leftovers and leaves young ones: another server may be making them', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-sweeps-'))
  t.after(() => fs.rm(dataDir, { recursive: true, force: true }))
  const long = (Date.now() - SHARED_SWEEP_GRACE_MS - 60_000) / 1000
  const engine = new FakeEngine({ images: [] })
  const runtime = new FakeRuntime({ engine })
  for (const age of ['young', 'old']) {
    engine.addImage(`wm-checkpoint:${age}`, {
      [CHECKPOINT_LABEL]: `ck_${age}`,
      'wm.instance': runtime.instanceId,
    })
    for (const dir of [`workspaces/ws_${age}`, `checkpoints/ck_${age}`]) {
      await fs.mkdir(path.join(dataDir, dir), { recursive: true })
      if (age === 'old') await fs.utimes(path.join(dataDir, dir), long, long)
    }
  }
  engine.images.get('wm-checkpoint:old')!.createdAt = long * 1000

  const config = loadConfig({
    WM_DATA_DIR: dataDir,
    WM_NFS_ENABLED: 'false',
    WM_DATABASE_URL: await newDatabase(cluster.url),
  })
  const app = await buildApp(config, { logger: pino({ level: 'silent' }), runtime })
  t.after(() => app.close())
  await app.ready()

  assert.equal((await app.inject({ method: 'GET', url: '/health' })).json().replica.leader, true)
  assert.deepEqual([...engine.images.keys()], ['wm-checkpoint:young'])
  for (const dir of ['workspaces/ws', 'checkpoints/ck']) {
    assert.equal(await exists(path.join(dataDir, `${dir}_young`)), true, `${dir}_young stays`)
    assert.equal(await exists(path.join(dataDir, `${dir}_old`)), false, `${dir}_old goes`)
  }
})
