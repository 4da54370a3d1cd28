import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs/promises'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import type { SandboxService } from '../packages/server/src/services/sandboxes.js'
import { jsonClient } from './http.js'
import { createRawContainer, docker } from './raw.js'
import { timeRuns } from './stats.js'
import type { BenchTable } from './table.js'

/** Ready sandboxes kept: refilled between timed runs, untimed. */
const POOL_COUNT = 2

/**
 * Create -> running served from the warm pool, beside dockerode create +
 * start of the same container configuration, in one run. A server of its
 * own keeps `POOL_COUNT` ready sandboxes of `template`; before each timed
 * create the last one is deleted and the pool waited on until it is full
 * again (untimed), so every timed create is served by the pool (checked).
 */
export async function warmPoolRows(options: {
  runs: number
  template: string
  table: BenchTable
}): Promise<void> {
  const { runs, template } = options
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-pool-'))
  const config = loadConfig({
    ...process.env,
    WM_DATA_DIR: dataDir,
    WORKSPACE_DEFAULT_IMAGE: template,
    WM_NFS_ENABLED: 'false',
    WM_WARM_POOL: `${template}=${POOL_COUNT}`,
  })
  let sandboxes: SandboxService | undefined
  const app = await buildApp(config, {
    logger: pino({ level: 'warn' }),
    expose: (services) => (sandboxes = services.sandboxes),
  })
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  const { request, close } = jsonClient(base)
  const pool = sandboxes!.pool!
  try {
    const workspace = JSON.parse((await request('POST', '/v1/workspaces', {})).text)
    const made: string[] = []
    const refill = async () => {
      for (const id of made.splice(0)) await request('DELETE', `/v1/sandboxes/${id}?force=true`)
      await pool.whenFull()
    }
    const warmup = 3
    const servedBefore = pool.served
    const ours = await timeRuns(
      runs,
      warmup,
      async () => {
        const reply = await request('POST', '/v1/sandboxes', { workspace_id: workspace.id })
        const created = JSON.parse(reply.text)
        if (created.state !== 'running') throw new Error(reply.text)
        made.push(created.id)
      },
      refill,
    )
    await refill()
    if (pool.served - servedBefore !== runs + warmup) {
      throw new Error(`the pool served ${pool.served - servedBefore} of ${runs + warmup} creates`)
    }
    const rawIds: string[] = []
    const rawRunDir = await fs.mkdtemp(path.join(dataDir, 'raw-run-'))
    const theirs = await timeRuns(runs, warmup, async () => {
      const name = `wm-bench-raw-pool-${rawIds.length}-${process.pid}`
      const created = await createRawContainer(config, name, workspace.id, rawRunDir, template)
      await created.start()
      rawIds.push(created.id)
    })
    await Promise.all(rawIds.map((id) => docker.getContainer(id).remove({ force: true })))
    options.table.latency(
      'create -> running from the warm pool (answered running, agent ready)',
      ours,
      theirs,
      'dockerode create + start (same config)',
    )
    await request('DELETE', `/v1/workspaces/${workspace.id}`)
  } finally {
    close()
    await app.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  }
}
