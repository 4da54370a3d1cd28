import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/index.js'
import type { Reconciler } from '../../src/services/reconciler.js'
import type { SandboxService } from '../../src/services/sandboxes.js'
import type { WarmPool } from '../../src/services/pool/warm-pool.js'
import { mountTable } from '../../src/services/pool/mounts.js'
import { TEST_TEMPLATE, containersOf } from './sandbox.js'

/**
 * An app keeping `count` ready sandboxes of the test template, once they are
 * all ready. After the test its sandboxes are deleted and it is closed before
 * its data dir goes: the pool directory is a mount until the app closes.
 */
export async function poolApp(
  t: TestContext,
  count = 2,
  env: Record<string, string> = {},
): Promise<{
  app: FastifyInstance
  config: Config
  pool: WarmPool
  sandboxes: SandboxService
  reconciler: Reconciler
}> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-pool-test-'))
  const config = loadConfig({
    WM_DATA_DIR: dataDir,
    WM_NFS_ENABLED: 'false',
    WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
    WORKSPACE_STOP_TIMEOUT_SECONDS: '1',
    WORKSPACE_DEFAULT_MEM: '512m',
    WM_WARM_POOL: `${TEST_TEMPLATE}=${count}`,
    ...env,
  })
  let services: { sandboxes: SandboxService; reconciler: Reconciler } | undefined
  const app = await buildApp(config, {
    logger: pino({ level: 'silent' }),
    expose: (exposed) => (services = exposed),
  })
  t.after(async () => {
    const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' }).catch(() => undefined)
    for (const { id } of listed?.json<{ sandboxes: Array<{ id: string }> }>().sandboxes ?? []) {
      await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${id}?force=true` })
    }
    await app.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  })
  await app.ready()
  const pool = services!.sandboxes.pool!
  await pool.whenFull()
  return { app, config, pool, ...services! }
}

/** Ids of the instance's containers made for the pool (workspace label `pool`), running or not. */
export async function pooledContainerIds(config: Config): Promise<string[]> {
  return (await containersOf(config))
    .filter((container) => container.Labels['wm.workspace'] === 'pool')
    .map((container) => container.Labels['wm.sandbox']!)
    .sort()
}

/** Mount points at or beneath `dir` in this process's mount namespace (the host's). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return [...(await mountTable()).keys()].filter(
    (point) => point === dir || point.startsWith(`${dir}/`),
  )
}
