import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import pino from 'pino'
import { buildApp } from '../../src/app.js'
import { ConfigError, loadConfig } from '../../src/config/index.js'
import { probeDiskLimit } from '../../src/runtime/docker/disk-limit.js'
import { createWorkspace, tempDir } from '../helpers/app.js'
import { FakeAgents } from '../helpers/fake-agent.js'
import { FakeEngine, FakeRuntime } from '../helpers/fake-runtime.js'
import { TEST_TEMPLATE, sandboxApp } from '../helpers/sandbox.js'
import { MiB } from './helpers.js'

/*
 * disk_bytes values the server refuses, and engines whose storage driver
 * cannot limit a container's size: a create asking for one is 400 code 1001
 * naming the driver, a default size refuses the start.
 */

const OVERLAY_REFUSAL =
  "the Docker engine's storage driver overlay2 cannot limit a sandbox's root filesystem (it needs xfs mounted with pquota; its filesystem is extfs)"

function fakeRuntime(
  t: TestContext,
  capabilities: { diskLimit: boolean; diskLimitRefusal?: string },
) {
  const agents = new FakeAgents()
  t.after(() => agents.close())
  return new FakeRuntime({
    engine: new FakeEngine({ images: [TEST_TEMPLATE] }),
    onStart: agents.onStart,
    onExit: agents.onExit,
    capabilities,
  })
}

function create(app: Awaited<ReturnType<typeof sandboxApp>>['app'], payload: object) {
  return app.inject({ method: 'POST', url: '/v1/sandboxes', payload })
}

test('bad disk_bytes is 400 code 1001 naming the field, and creates nothing', async (t) => {
  const { app } = await sandboxApp(t, {}, { runtime: fakeRuntime(t, { diskLimit: true }) })
  const workspaceId = await createWorkspace(app)
  const bad = [0, -1, MiB - 1, 2 * MiB + 0.5, 2 ** 53, true, 'lots', '512k', '-5m', '1.5x', '']
  for (const value of bad) {
    const response = await create(app, { workspace_id: workspaceId, disk_bytes: value })
    assert.equal(response.statusCode, 400, `${JSON.stringify(value)}: ${response.body}`)
    assert.equal(response.json().error.code, 1001, JSON.stringify(value))
    assert.match(response.json().error.message, /disk_bytes/, JSON.stringify(value))
  }
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(listed.json().sandboxes, [])
  const good = await create(app, { workspace_id: workspaceId, disk_bytes: '1.5GiB' })
  assert.equal(good.statusCode, 201, good.body)
  assert.equal(good.json().disk_bytes, 1536 * MiB)
  await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${good.json().id}?force=true` })
})

test('on an engine that cannot limit sizes, disk_bytes is 400 code 1001 naming its driver', async (t) => {
  const runtime = fakeRuntime(t, { diskLimit: false, diskLimitRefusal: OVERLAY_REFUSAL })
  const { app } = await sandboxApp(t, {}, { runtime })
  const workspaceId = await createWorkspace(app)
  const refused = await create(app, { workspace_id: workspaceId, disk_bytes: '64MiB' })
  assert.equal(refused.statusCode, 400, refused.body)
  assert.equal(refused.json().error.code, 1001)
  assert.match(refused.json().error.message, /^disk_bytes cannot be honoured: .*overlay2/)
  assert.deepEqual((await runtime.listManaged()).length, 0)
  const unlimited = await create(app, { workspace_id: workspaceId })
  assert.equal(unlimited.statusCode, 201, 'a sandbox without a size is made as before')
  assert.equal(unlimited.json().disk_bytes, null)
  await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${unlimited.json().id}?force=true` })
})

test('WM_SANDBOX_DISK_BYTES on such an engine refuses the start (a ConfigError: exit 78)', async (t) => {
  const runtime = fakeRuntime(t, { diskLimit: false, diskLimitRefusal: OVERLAY_REFUSAL })
  const config = loadConfig({
    WM_DATA_DIR: await tempDir(t),
    WM_NFS_ENABLED: 'false',
    WM_SANDBOX_DISK_BYTES: '2GiB',
  })
  const app = await buildApp(config, { logger: pino({ level: 'silent' }), runtime })
  t.after(() => app.close())
  await assert.rejects(
    async () => {
      await app.ready()
    },
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error))
      assert.equal(error.variable, 'WM_SANDBOX_DISK_BYTES')
      assert.match(error.message, /cannot be enforced: .*overlay2/)
      return true
    },
  )
})

test('the server started with WM_SANDBOX_DISK_BYTES on an overlay2-on-ext4 engine exits 78, naming the variable and driver', async (t) => {
  // An engine that answers what start-up asks (ping, info, containers) as overlay2 on ext4 does.
  const dir = await tempDir(t)
  const socket = path.join(dir, 'engine.sock')
  const engine = http.createServer((request, response) => {
    response.setHeader('content-type', 'application/json')
    if (request.url?.endsWith('/info')) {
      const info = { Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] }
      return response.end(JSON.stringify({ ...info, LiveRestoreEnabled: true }))
    }
    if (request.url?.endsWith('/_ping')) return response.end('OK')
    if (request.url?.includes('/containers/json')) return response.end('[]')
    response.statusCode = 404
    response.end('{"message":"not here"}')
  })
  await new Promise<void>((resolve) => engine.listen(socket, resolve))
  t.after(() => engine.close())
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: {
      PATH: process.env.PATH,
      WM_DATA_DIR: path.join(dir, 'data'),
      WM_PORT: '0',
      WM_NFS_ENABLED: 'false',
      DOCKER_HOST: `unix://${socket}`,
      WM_SANDBOX_DISK_BYTES: '2GiB',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 78, stderr)
  assert.match(stderr, /WM_SANDBOX_DISK_BYTES: is set but cannot be enforced: .*overlay2.*extfs/)
})

test('WM_SANDBOX_DISK_BYTES takes sizes like memory does, null when unset', () => {
  const disk = (value: string) =>
    loadConfig({ WM_SANDBOX_DISK_BYTES: value }).sandboxDefaults.diskBytes
  assert.equal(loadConfig({}).sandboxDefaults.diskBytes, null)
  assert.equal(disk('2GiB'), 2048 * MiB)
  assert.equal(disk('512m'), 512 * MiB)
  assert.equal(disk(String(64 * MiB)), 64 * MiB)
  for (const bad of ['0', '100k', 'lots', '-1g', '99999999999t']) {
    assert.throws(
      () => disk(bad),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'WM_SANDBOX_DISK_BYTES',
      bad,
    )
  }
})

/** An engine that answers `docker info` with `info`, and records containers made and removed. */
function engine(info: Record<string, unknown>, createError?: Error) {
  const made: unknown[] = []
  const removed: string[] = []
  const docker = {
    info: async () => info,
    listImages: async () => [{ Id: 'sha256:abc', Size: 100 }],
    createContainer: async (options: { name: string }) => {
      if (createError) throw createError
      made.push(options)
      return { remove: async () => void removed.push(options.name) }
    },
  } as unknown as Docker
  return { docker, made, removed }
}

test('the storage driver decides: btrfs and zfs can, overlay2 only on xfs with pquota, others cannot', async () => {
  assert.deepEqual(await probeDiskLimit(engine({ Driver: 'btrfs' }).docker), {
    supported: true,
    driver: 'btrfs',
    countsImage: true,
  })
  assert.deepEqual(await probeDiskLimit(engine({ Driver: 'zfs' }).docker), {
    supported: true,
    driver: 'zfs',
    countsImage: false,
  })
  const ext = engine({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] })
  const onExt = await probeDiskLimit(ext.docker)
  assert.equal(onExt.supported, false)
  assert.equal(!onExt.supported && onExt.reason.startsWith(OVERLAY_REFUSAL), true)
  assert.deepEqual(ext.made, [], 'nothing is tried where it cannot work')
  const vfs = await probeDiskLimit(engine({ Driver: 'vfs' }).docker)
  assert.match(!vfs.supported ? vfs.reason : '', /storage driver vfs cannot limit/)

  // On xfs only a create tells whether pquota is on: the container is made, never started, removed.
  const xfs = { Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'xfs']] }
  const pquota = engine(xfs)
  assert.deepEqual(await probeDiskLimit(pquota.docker), {
    supported: true,
    driver: 'overlay2',
    countsImage: false,
  })
  assert.equal(pquota.made.length, 1)
  assert.equal(pquota.removed.length, 1)
  const words = "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"
  const noPquota = await probeDiskLimit(engine(xfs, new Error(words)).docker)
  assert.match(!noPquota.supported ? noPquota.reason : '', /overlay2 cannot limit.*pquota/)
})
