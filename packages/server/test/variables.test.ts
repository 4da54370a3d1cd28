/**
 * Server variables whose effect is on the containers and the engine
 * connection, checked against the real engine (config.test.ts checks parsing).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { createWorkspace, testApp } from './helpers/app.js'
import pino from 'pino'
import { DockerRuntime } from '../src/runtime/docker/runtime.js'
import { createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

test('WORKSPACE_CONTAINER_PREFIX names the containers', async (t) => {
  const { app } = await sandboxApp(t, { WORKSPACE_CONTAINER_PREFIX: 'wmvar_' })
  const { sandboxId } = await createSandbox(t, app)
  const info = await docker.getContainer(`wmvar_${sandboxId}`).inspect()
  assert.equal(info.Config.Labels['wm.sandbox'], sandboxId)
})

test('WORKSPACE_NETWORK_MODE=bridge is the default network; a request can still ask for none', async (t) => {
  const { app } = await sandboxApp(t, { WORKSPACE_NETWORK_MODE: 'bridge' })
  const bridged = await createSandbox(t, app)
  assert.equal(bridged.sandbox.network_mode, 'bridge')
  const info = await docker.getContainer(`wm_ws_${bridged.sandboxId}`).inspect()
  assert.equal(info.HostConfig.NetworkMode, 'bridge')
  const interfaces = await run(app, bridged.sandboxId, { cmd: 'cat', args: ['/proc/net/dev'] })
  assert.match(interfaces.json.stdout, /eth0/)
  const isolated = await createSandbox(t, app, { network_mode: 'none' })
  assert.equal(isolated.sandbox.network_mode, 'none')
})

test('CONTAINER_WORKSPACE_DIR is where the workspace is mounted and processes start', async (t) => {
  const { app } = await sandboxApp(t, { CONTAINER_WORKSPACE_DIR: '/srv/work' })
  const { sandboxId, workspaceId } = await createSandbox(t, app)
  await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${workspaceId}/files/content?path=seen.txt`,
    payload: 'from the API',
  })
  const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'pwd; cat seen.txt'] })
  assert.equal(result.json.stdout, '/srv/work\nfrom the API')
})

test('WORKSPACE_DEFAULT_CPU and WORKSPACE_DEFAULT_MEM become the container limits', async (t) => {
  const { app } = await sandboxApp(t, {
    WORKSPACE_DEFAULT_CPU: '250m',
    WORKSPACE_DEFAULT_MEM: '96m',
  })
  const { sandboxId, sandbox } = await createSandbox(t, app)
  assert.equal(sandbox.cpu, 0.25)
  const host = (await docker.getContainer(`wm_ws_${sandboxId}`).inspect()).HostConfig
  assert.equal(host.NanoCpus, 2.5e8)
  assert.equal(host.Memory, 96 * 1024 * 1024)
  assert.equal(host.MemorySwap, 96 * 1024 * 1024)
})

test('DOCKER_PLATFORM is passed to the engine: a platform the template lacks is refused', async (t) => {
  const native = await sandboxApp(t, { DOCKER_PLATFORM: 'linux/amd64' })
  const { sandboxId } = await createSandbox(t, native.app)
  assert.ok(sandboxId)
  const foreign = await sandboxApp(t, { DOCKER_PLATFORM: 'linux/s390x' })
  const workspaceId = await createWorkspace(foreign.app)
  const refused = await foreign.app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId },
  })
  assert.ok(refused.statusCode >= 400, refused.body)
  assert.match(refused.json().error.message, /s390x|platform/i)
})

test('DOCKER_CLIENT_TIMEOUT bounds every engine call: a silent engine is 503 code 1006 in time', async (t) => {
  const silent = net.createServer(() => undefined)
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.after(() => silent.close())
  const { port } = silent.address() as net.AddressInfo
  const { app } = await testApp(t, {
    DOCKER_HOST: `tcp://127.0.0.1:${port}`,
    DOCKER_CLIENT_TIMEOUT: '1',
  })
  const started = Date.now()
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  const elapsed = Date.now() - started
  assert.equal(ready.statusCode, 503)
  assert.equal(ready.json().error.code, 1006)
  assert.ok(elapsed < 5000, `took ${elapsed} ms`)
})

test('WM_RUNTIME=runsc fails closed when the engine lacks the runtime: 503 code 1006, nothing created', async (t) => {
  // The bootstrap registers runsc, so the missing runtime is one the engine has never heard of.
  const runtime = new DockerRuntime({
    docker,
    instanceId: `fail-closed-${process.pid}`,
    containerPrefix: 'wm_ws_',
    platform: null,
    ociRuntime: 'runsc-not-registered',
    log: pino({ level: 'silent' }),
  })
  const { app } = await sandboxApp(t, { WM_RUNTIME: 'runsc' }, { runtime })
  const workspaceId = await createWorkspace(app)
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId },
  })
  assert.equal(refused.statusCode, 503)
  assert.equal(refused.json().error.code, 1006)
  assert.match(refused.json().error.message, /runsc-not-registered/)
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(listed.json().sandboxes, [])
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`wm.instance=fail-closed-${process.pid}`] },
  })
  assert.deepEqual(left, [])
})

test('on an engine whose gVisor has no network, a sandbox asking for one is refused: 400 code 1001', async (t) => {
  const runtime = new DockerRuntime({
    docker,
    instanceId: `networkless-${process.pid}`,
    containerPrefix: 'wm_ws_',
    platform: null,
    ociRuntime: null,
    log: pino({ level: 'silent' }),
  })
  // What probe() concludes from a runsc registered with --network=none (runsc-probe.test.ts).
  runtime.capabilities.networkless = true
  const { app } = await sandboxApp(t, {}, { runtime })
  const workspaceId = await createWorkspace(app)
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId, network_mode: 'bridge' },
  })
  assert.equal(refused.statusCode, 400, refused.body)
  assert.equal(refused.json().error.code, 1001)
  assert.match(refused.json().error.message, /network/)
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(listed.json().sandboxes, [])
})
