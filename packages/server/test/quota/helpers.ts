import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { Readable } from 'node:stream'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config/index.js'
import { probeQuotas } from '../../src/storage/quotas.js'
import { sandboxApp } from '../helpers/sandbox.js'

/** Where the bootstrap mounts a filesystem that can enforce quotas (scripts/ensure-quota-fs.sh). */
export const QUOTA_ROOT = process.env.WM_TEST_QUOTA_ROOT ?? '/var/lib/wm-quota'

export const MiB = 1024 ** 2

/**
 * A fresh data directory on the quota filesystem, removed after the test.
 * Fails (never skips) when that filesystem is missing or cannot enforce quotas.
 */
export async function quotaDataDir(t: TestContext): Promise<string> {
  const probe = await probeQuotas(QUOTA_ROOT).catch((error: unknown) => {
    assert.fail(
      `${QUOTA_ROOT} is missing (${String(error)}); run scripts/bootstrap.sh (step quota-fs, scripts/ensure-quota-fs.sh) or set WM_TEST_QUOTA_ROOT`,
    )
  })
  if (!probe.quotas) {
    assert.fail(
      `${QUOTA_ROOT} cannot enforce quotas: ${probe.reason}; run scripts/bootstrap.sh (step quota-fs, scripts/ensure-quota-fs.sh) or set WM_TEST_QUOTA_ROOT`,
    )
  }
  const dir = await fs.mkdtemp(path.join(QUOTA_ROOT, 'wm-quota-test-'))
  t.after(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

/** An app (test template, real engine) whose data directory is on the quota filesystem. */
export async function quotaApp(
  t: TestContext,
  env: Record<string, string> = {},
): Promise<{ app: FastifyInstance; config: Config }> {
  return sandboxApp(t, { WM_DATA_DIR: await quotaDataDir(t), ...env })
}

/** A workspace reply as the tests read it. */
export interface WorkspaceReply {
  id: string
  quota_bytes: number | null
  used_bytes: number | null
}

/** Creates a workspace with `body` through the API; asserts 201. */
export async function createWorkspace(
  app: FastifyInstance,
  body: Record<string, unknown>,
): Promise<WorkspaceReply> {
  const response = await app.inject({ method: 'POST', url: '/v1/workspaces', payload: body })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<WorkspaceReply>()
}

/** GET /v1/workspaces/{id}. */
export async function getWorkspace(app: FastifyInstance, id: string): Promise<WorkspaceReply> {
  const response = await app.inject({ method: 'GET', url: `/v1/workspaces/${id}` })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<WorkspaceReply>()
}

/** Uploads `bytes` of random content to `file`; resolves the response. */
export function upload(app: FastifyInstance, id: string, file: string, bytes: number) {
  return app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
    headers: { 'content-type': 'application/octet-stream' },
    // Random, so no filesystem compression makes it take less than its size.
    payload: randomBytes(bytes),
  })
}

/**
 * Uploads `mib` MiB streamed a MiB at a time (one random MiB over and over),
 * as a client's body arrives: long enough for the server to flush it to disk
 * early, several times, while it is still being received. Resolves the
 * response and the content's SHA-256.
 */
export async function uploadStreamed(app: FastifyInstance, id: string, file: string, mib: number) {
  const chunk = randomBytes(MiB)
  const hash = createHash('sha256')
  for (let i = 0; i < mib; i++) hash.update(chunk)
  const response = await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(mib * MiB) },
    payload: Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield chunk
      })(),
    ),
  })
  return { response, sha256: hash.digest('hex') }
}

/** Names in the host directory of a workspace (temp files of the file API included). */
export function hostEntries(config: Config, id: string): Promise<string[]> {
  return fs.readdir(path.join(config.dataDir, 'workspaces', id))
}
