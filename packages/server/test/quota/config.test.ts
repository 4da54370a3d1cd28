import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ConfigError, loadConfig } from '../../src/config/index.js'
import { filesystemOf } from '../../src/storage/quotas.js'
import { tempDir, testApp } from '../helpers/app.js'
import { MiB, createWorkspace, quotaApp } from './helpers.js'

/*
 * WM_WORKSPACE_QUOTA_BYTES: the default quota where quotas can be enforced,
 * a refused start where they cannot; and a quota asked for on a data
 * directory that cannot enforce one (the temp dir, ext4 here).
 */

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

test('WM_WORKSPACE_QUOTA_BYTES is the quota of a workspace created without one', async (t) => {
  const { app } = await quotaApp(t, { WM_WORKSPACE_QUOTA_BYTES: '20MiB' })
  assert.equal((await createWorkspace(app, {})).quota_bytes, 20 * MiB)
  assert.equal((await createWorkspace(app, { quota_bytes: 30 * MiB })).quota_bytes, 30 * MiB)
  const unlimited = await createWorkspace(app, { quota_bytes: null })
  assert.equal(unlimited.quota_bytes, null)
  assert.equal(typeof unlimited.used_bytes, 'number', 'an unlimited workspace is still counted')
})

test('WM_WORKSPACE_QUOTA_BYTES takes bytes or binary sizes and refuses the rest', () => {
  const quota = (value: string) =>
    loadConfig({ WM_WORKSPACE_QUOTA_BYTES: value }).workspaceQuotaBytes
  assert.equal(loadConfig({}).workspaceQuotaBytes, null)
  assert.equal(quota('20971520'), 20 * MiB)
  assert.equal(quota('20MiB'), 20 * MiB)
  assert.equal(quota('10g'), 10 * 1024 * MiB)
  for (const bad of ['0', '-5', '1.5g', 'lots', '1000', '99999999999999999999', '20 MB x']) {
    assert.throws(
      () => quota(bad),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error))
        assert.match(error.message, /WM_WORKSPACE_QUOTA_BYTES/)
        return true
      },
    )
  }
})

test('with WM_WORKSPACE_QUOTA_BYTES on a data dir that cannot enforce quotas the server exits 78, naming the variable and filesystem', async (t) => {
  const dataDir = await tempDir(t)
  const filesystem = await filesystemOf(dataDir)
  assert.notEqual(filesystem, 'btrfs', 'the temp dir must be on a filesystem without quotas')
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      PATH: process.env.PATH,
      WM_DATA_DIR: dataDir,
      WM_PORT: '0',
      WM_NFS_ENABLED: 'false',
      WM_WORKSPACE_QUOTA_BYTES: '20MiB',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 78, stderr)
  assert.match(stderr, /WM_WORKSPACE_QUOTA_BYTES/)
  assert.match(stderr, new RegExp(`found ${filesystem}`))
})

test('a quota asked for where none can be enforced is 400 code 1001 naming why; without one nothing changes', async (t) => {
  const { app, config } = await testApp(t)
  const filesystem = await filesystemOf(config.dataDir)
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    payload: { quota_bytes: 20 * MiB },
  })
  assert.equal(refused.statusCode, 400, refused.body)
  assert.equal(refused.json().error.code, 1001)
  assert.match(refused.json().error.message, /quotas are not available here/)
  assert.match(refused.json().error.message, new RegExp(filesystem))
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/workspaces' })).json().workspaces.length,
    0,
  )

  const plain = await createWorkspace(app, { name: 'plain' })
  assert.deepEqual([plain.quota_bytes, plain.used_bytes], [null, null])
  const patched = await app.inject({
    method: 'PATCH',
    url: `/v1/workspaces/${plain.id}`,
    payload: { quota_bytes: 20 * MiB },
  })
  assert.equal(patched.statusCode, 400, patched.body)
  assert.equal(patched.json().error.code, 1001)
  const lifted = await app.inject({
    method: 'PATCH',
    url: `/v1/workspaces/${plain.id}`,
    payload: { quota_bytes: null },
  })
  assert.equal(lifted.statusCode, 200, 'staying unlimited is always possible')
})
