import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createWorkspace, testApp } from './helpers/app.js'
import { containersOf, createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

test('a sandbox starts running, with its fields, and is listed and found', async (t) => {
  const { app } = await sandboxApp(t)
  const { workspaceId, sandboxId, sandbox } = await createSandbox(t, app, {
    name: 'my-sandbox',
    env: { APP_ENV: 'development' },
    metadata: { project: 'demo' },
    timeout: 3600,
    cpu: '500m',
    memory: '256m',
  })
  assert.match(sandboxId, /^sb_[0-9a-f]{20}$/)
  assert.equal(sandbox.state, 'running')
  assert.equal(sandbox.workspace_id, workspaceId)
  assert.equal(sandbox.template, 'workspace-test:latest')
  assert.equal(sandbox.name, 'my-sandbox')
  assert.deepEqual(sandbox.env, { APP_ENV: 'development' })
  assert.deepEqual(sandbox.metadata, { project: 'demo' })
  assert.equal(sandbox.timeout, 3600)
  assert.equal(sandbox.cpu, 0.5)
  assert.equal(sandbox.memory, 256 * 1024 * 1024)
  assert.equal(sandbox.network_mode, 'none')
  assert.ok(sandbox.expires_at)
  assert.equal('agent_token' in sandbox, false)

  const got = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
  assert.deepEqual(got.json(), sandbox)
  for (const query of ['', '?state=running', `?workspace_id=${workspaceId}`]) {
    const listed = await app.inject({ method: 'GET', url: `/v1/sandboxes${query}` })
    assert.deepEqual(
      listed.json().sandboxes.map((s: { id: string }) => s.id),
      [sandboxId],
      query,
    )
  }
  const none = await app.inject({ method: 'GET', url: '/v1/sandboxes?state=error' })
  assert.deepEqual(none.json().sandboxes, [])

  const env = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'echo $APP_ENV; pwd'] })
  assert.equal(env.json.stdout, 'development\n/workspace\n')
})

test('the container carries the security baseline and limits', async (t) => {
  const { app, config } = await sandboxApp(t)
  const { sandboxId, workspaceId } = await createSandbox(t, app, { cpu: 1.5, memory: 268435456 })
  const info = await docker.getContainer(`wm_ws_${sandboxId}`).inspect()
  const host = info.HostConfig
  assert.deepEqual(host.CapDrop, ['ALL'])
  assert.ok(!host.CapAdd?.includes('SYS_ADMIN') && !host.CapAdd?.includes('NET_RAW'))
  assert.deepEqual(host.SecurityOpt, ['no-new-privileges:true'])
  assert.equal(host.Privileged, false)
  assert.equal(host.NetworkMode, 'none')
  assert.equal(host.PidsLimit, 512)
  assert.equal(host.Memory, 268435456)
  assert.equal(host.MemorySwap, 268435456)
  assert.equal(host.NanoCpus, 1.5e9)
  assert.equal(host.PidMode, '')
  assert.equal(host.IpcMode, 'private')
  const binds = host.Binds ?? []
  assert.ok(
    binds.includes(`${config.dataDir}/workspaces/${workspaceId}:/workspace:rw`),
    String(binds),
  )
  assert.ok(
    binds.some((bind) => bind.endsWith(':/opt/wm/wm-agent:ro')),
    String(binds),
  )
  assert.equal(binds.length, 3)
  assert.equal(info.Config.Labels['wm.managed'], '1')
  assert.equal(info.Config.Labels['wm.sandbox'], sandboxId)
  assert.equal(info.Config.Labels['wm.workspace'], workspaceId)
  const status = await run(app, sandboxId, { cmd: 'cat', args: ['/proc/1/status'] })
  assert.match(status.json.stdout, /NoNewPrivs:\s+1/)
  const touch = await run(app, sandboxId, { cmd: 'touch', args: ['/opt/wm/wm-agent'] })
  assert.notEqual(touch.json.exit_code, 0)
})

test('request fields that would weaken isolation are refused', async (t) => {
  const { app } = await sandboxApp(t)
  const workspaceId = await createWorkspace(app)
  for (const extra of [
    { privileged: true },
    { binds: ['/:/host'] },
    { cap_add: ['SYS_ADMIN'] },
    { network_mode: 'host' },
    { network_mode: 'container:abc' },
    { env: { 'BAD NAME': 'x' } },
    { cpu: 'lots' },
    { memory: '1k' },
  ]) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, ...extra },
    })
    assert.equal(response.statusCode, 400, JSON.stringify(extra))
    assert.equal(response.json().error.code, 1001)
  }
})

test('a missing template is 404 code 2003 and creates nothing', async (t) => {
  const { app, config } = await sandboxApp(t)
  const workspaceId = await createWorkspace(app)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId, template: 'no-such-template:nope' },
  })
  assert.equal(response.statusCode, 404)
  assert.equal(response.json().error.code, 2003)
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(listed.json().sandboxes, [])
  assert.deepEqual(await containersOf(config), [])
})

test('unknown sandbox is 2001, unknown workspace is 7001', async (t) => {
  const { app } = await sandboxApp(t)
  const missing = await app.inject({ method: 'GET', url: '/v1/sandboxes/invalid-id' })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().error.code, 2001)
  const noWorkspace = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: 'ws_missing' },
  })
  assert.equal(noWorkspace.json().error.code, 7001)
})

test('a workspace with a sandbox cannot be deleted (7002) until the sandbox is', async (t) => {
  const { app, config } = await sandboxApp(t)
  const { workspaceId, sandboxId } = await createSandbox(t, app)
  const refused = await app.inject({ method: 'DELETE', url: `/v1/workspaces/${workspaceId}` })
  assert.equal(refused.statusCode, 409)
  assert.equal(refused.json().error.code, 7002)
  assert.match(refused.json().error.message, /active sandboxes/)
  const deleted = await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandboxId}` })
  assert.equal(deleted.statusCode, 204)
  assert.deepEqual(await containersOf(config), [])
  const gone = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
  assert.equal(gone.json().error.code, 2001)
  const ok = await app.inject({ method: 'DELETE', url: `/v1/workspaces/${workspaceId}` })
  assert.equal(ok.statusCode, 204)
})

test('sandboxes sharing a workspace see each other’s files', async (t) => {
  const { app } = await sandboxApp(t)
  const first = await createSandbox(t, app)
  const second = await createSandbox(t, app, { workspace_id: first.workspaceId })
  await run(app, first.sandboxId, { cmd: 'sh', args: ['-c', 'echo shared > /workspace/x'] })
  const seen = await run(app, second.sandboxId, { cmd: 'cat', args: ['/workspace/x'] })
  assert.equal(seen.json.stdout, 'shared\n')
  const viaApi = await app.inject({
    method: 'GET',
    url: `/v1/workspaces/${first.workspaceId}/files/content?path=x`,
  })
  assert.equal(viaApi.body, 'shared\n')
})

test('a sandbox past its timeout is stopped and removed', async (t) => {
  const { app, config } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app, { timeout: 1 })
  const deadline = Date.now() + 15_000
  let status = 200
  while (Date.now() < deadline && status !== 404) {
    await sleep(250)
    status = (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).statusCode
  }
  assert.equal(status, 404)
  assert.deepEqual(await containersOf(config), [])
})

test('a container killed behind the server’s back is restarted; with no restarts left it is an error', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const before = await docker.getContainer(`wm_ws_${sandboxId}`).inspect()
  await docker.getContainer(`wm_ws_${sandboxId}`).kill()
  const deadline = Date.now() + 60_000
  let back = false
  while (Date.now() < deadline && !back) {
    await sleep(200)
    const state = (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).json()
      .state
    const info = await docker.getContainer(`wm_ws_${sandboxId}`).inspect()
    back =
      state === 'running' && info.State.Running && info.State.StartedAt !== before.State.StartedAt
  }
  assert.ok(back, 'running again')
  assert.equal((await docker.getContainer(`wm_ws_${sandboxId}`).inspect()).Id, before.Id)
  assert.equal((await run(app, sandboxId, { cmd: 'true' })).status, 200)

  const strict = await sandboxApp(
    t,
    {},
    { restartPolicy: { attempts: 0, backoffMs: 0, windowMs: 1 } },
  )
  const other = await createSandbox(t, strict.app)
  await docker.getContainer(`wm_ws_${other.sandboxId}`).kill()
  let sandbox = { state: 'running', error_message: null }
  const until = Date.now() + 15_000
  while (Date.now() < until && sandbox.state === 'running') {
    await sleep(200)
    sandbox = (
      await strict.app.inject({ method: 'GET', url: `/v1/sandboxes/${other.sandboxId}` })
    ).json()
  }
  assert.equal(sandbox.state, 'error')
  assert.match(String(sandbox.error_message), /exited unexpectedly/)
  const refused = await run(strict.app, other.sandboxId, { cmd: 'true' })
  assert.equal(refused.status, 409)
  assert.equal(refused.json.error.code, 2002)
})

test('with the engine unreachable, /ready and sandbox calls answer 503 code 1006', async (t) => {
  const { app } = await testApp(t, {
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    WORKSPACE_DEFAULT_IMAGE: 'workspace-test:latest',
  })
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(ready.statusCode, 503)
  assert.equal(ready.json().error.code, 1006)
  const workspaceId = await createWorkspace(app)
  const create = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId },
  })
  assert.equal(create.statusCode, 503)
  assert.equal(create.json().error.code, 1006)
  const files = await app.inject({ method: 'GET', url: `/v1/workspaces/${workspaceId}/files` })
  assert.equal(files.statusCode, 200)
})

test('secret-looking env values reach the sandbox but are masked in every reply', async (t) => {
  const { app } = await sandboxApp(t)
  const env = {
    APP_ENV: 'dev',
    SPLUNK_PASSWORD: 'hunter2',
    GITHUB_TOKEN: 'ghp_x',
    AWS_SECRET_ACCESS_KEY: 'k',
  }
  const { sandboxId, sandbox } = await createSandbox(t, app, { env })
  const masked = {
    APP_ENV: 'dev',
    SPLUNK_PASSWORD: '[redacted]',
    GITHUB_TOKEN: '[redacted]',
    AWS_SECRET_ACCESS_KEY: '[redacted]',
  }
  assert.deepEqual(sandbox.env, masked)
  assert.deepEqual(
    (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).json().env,
    masked,
  )
  const listed = (await app.inject({ method: 'GET', url: '/v1/sandboxes' })).json()
  assert.ok(!JSON.stringify(listed).includes('hunter2'))
  const inside = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'echo "$SPLUNK_PASSWORD $GITHUB_TOKEN"'],
  })
  assert.equal(inside.json.stdout, 'hunter2 ghp_x\n')
})
