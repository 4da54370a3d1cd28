import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { buildApp, type AppDeps } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/index.js'

/** A temporary directory removed when the test ends. */
export async function tempDir(t: TestContext, prefix = 'wm-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  t.after(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

const cleanups = new WeakMap<FastifyInstance, Array<() => Promise<unknown>>>()

/**
 * Runs `cleanup` after the test, before the app closes (node:test runs
 * `t.after` hooks in the order they were added, so they cannot express this).
 * Cleanups run last-added first; their failures are ignored.
 */
export function beforeClose(app: FastifyInstance, cleanup: () => Promise<unknown>): void {
  cleanups.get(app)?.push(cleanup)
}

/**
 * Builds a ready app on a fresh data dir with `env` over the defaults; closed after the test.
 * NFS is off unless `env` turns it on (test/nfs*.test.ts do).
 */
export async function testApp(
  t: TestContext,
  env: Record<string, string> = {},
  deps: AppDeps = {},
): Promise<{ app: FastifyInstance; config: Config }> {
  const dataDir = await tempDir(t)
  const config = loadConfig({ WM_DATA_DIR: dataDir, WM_NFS_ENABLED: 'false', ...env })
  const app = await buildApp(config, { logger: pino({ level: 'silent' }), ...deps })
  const pending: Array<() => Promise<unknown>> = []
  cleanups.set(app, pending)
  t.after(async () => {
    for (const cleanup of pending.reverse()) await cleanup().catch(() => undefined)
    await app.close()
  })
  await app.ready()
  return { app, config }
}

/** Creates a workspace through the API and returns its id. */
export async function createWorkspace(app: FastifyInstance, name = 'test'): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/v1/workspaces', payload: { name } })
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.body}`)
  return response.json<{ id: string }>().id
}
