import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { AgentClient } from '../src/agent/client.js'
import { createWorkspace } from './helpers/app.js'
import { open } from './helpers/pty.js'
import { containersOf, createSandbox, docker, run } from './helpers/sandbox.js'
import { mountsUnder, poolApp, pooledContainerIds } from './helpers/warm-pool.js'

function putFile(app: FastifyInstance, workspaceId: string, file: string, body: string) {
  return app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${workspaceId}/files/content?path=${encodeURIComponent(file)}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  })
}

test('a matching create claims a pooled sandbox: running, its workspace at /workspace, its env and metadata; the pool refills', async (t) => {
  const { app, config, pool } = await poolApp(t, 2)
  const pooled = await pooledContainerIds(config)
  assert.equal(pooled.length, 2)
  const workspaceId = await createWorkspace(app)
  assert.equal((await putFile(app, workspaceId, 'before.txt', 'written before')).statusCode, 201)

  const { sandboxId, sandbox } = await createSandbox(t, app, {
    workspace_id: workspaceId,
    env: { FOO: 'bar baz' },
    metadata: { owner: 'pool-test' },
  })
  assert.ok(pooled.includes(sandboxId), 'the sandbox is one of the pooled ones')
  assert.equal(sandbox.state, 'running')
  assert.deepEqual(sandbox.metadata, { owner: 'pool-test' })
  assert.deepEqual(sandbox.env, { FOO: 'bar baz' })
  assert.equal(sandbox.workspace_id, workspaceId)
  const got = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
  assert.equal(got.json().state, 'running')

  const seen = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'cat /workspace/before.txt; echo; echo "$FOO"; pwd; echo made inside > out.txt'],
  })
  assert.equal(seen.status, 200, JSON.stringify(seen.json))
  assert.equal(seen.json.stdout, 'written before\nbar baz\n/workspace\n')
  assert.equal((await putFile(app, workspaceId, 'after.txt', 'written after')).statusCode, 201)
  const after = await run(app, sandboxId, { cmd: 'cat', args: ['/workspace/after.txt'] })
  assert.equal(after.json.stdout, 'written after')
  const inside = await app.inject({
    method: 'GET',
    url: `/v1/workspaces/${workspaceId}/files/content?path=out.txt`,
  })
  assert.equal(inside.body, 'made inside\n')
  // A process's own env still wins over the sandbox's.
  const own = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'echo "$FOO"'],
    env: { FOO: 'x' },
  })
  assert.equal(own.json.stdout, 'x\n')

  const term = await open(app, `/v1/sandboxes/${sandboxId}/pty?cols=100&rows=30`)
  await term.control('ready')
  term.type('echo "pty:$FOO"\n')
  await term.waitFor('pty:bar baz')
  term.ws.close()

  await pool.whenFull()
  assert.deepEqual(
    pool.status().map((entry) => entry.ready),
    [2],
  )
  const now = await pooledContainerIds(config)
  assert.equal(now.length, 3, 'two ready beside the claimed one')
})

test('a claimed sandbox keeps the security baseline: it cannot unmount its workspace nor see other slots', async (t) => {
  const { app, config } = await poolApp(t, 2)
  const { sandboxId, workspaceId } = await createSandbox(t, app)
  const info = await docker.getContainer(`wm_ws_${sandboxId}`).inspect()
  assert.equal(info.Config.Labels['wm.workspace'], 'pool')
  assert.deepEqual(info.HostConfig.CapDrop, ['ALL'])
  assert.ok(!info.HostConfig.CapAdd?.includes('SYS_ADMIN'))
  assert.equal(info.HostConfig.Privileged, false)
  assert.equal(info.HostConfig.NetworkMode, 'none')
  const workspaceMount = info.Mounts.find((mount) => mount.Destination === '/workspace')
  assert.equal(workspaceMount?.Propagation, 'rslave')
  assert.equal(workspaceMount?.Source, path.join(config.dataDir, 'pool', sandboxId, 'workspace'))

  const umount = await run(app, sandboxId, { cmd: 'umount', args: ['/workspace'] })
  assert.notEqual(umount.json.exit_code, 0)
  const mounted = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'mount -t tmpfs none /workspace'],
  })
  assert.notEqual(mounted.json.exit_code, 0)
  const listing = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'ls -a /workspace'] })
  assert.equal(listing.json.stdout, '.\n..\n', 'the workspace, empty: nothing of the slot or pool')
  const status = await run(app, sandboxId, { cmd: 'cat', args: ['/proc/1/status'] })
  assert.match(status.json.stdout, /NoNewPrivs:\s+1/)
  assert.match(status.json.stdout, /CapEff:\s+00000000a80425fb|CapEff:\s+[0-9a-f]+/)
  const capEff = /CapEff:\s+([0-9a-f]+)/.exec(status.json.stdout)![1]!
  assert.equal(BigInt(`0x${capEff}`) & (1n << 21n), 0n, 'no CAP_SYS_ADMIN')
  const hostDir = path.join(config.dataDir, 'workspaces', workspaceId)
  assert.deepEqual(await fs.readdir(hostDir), [])
})

test('a create the pool cannot serve gets a sandbox made for it; a pooled one is never handed out twice', async (t) => {
  const { app, config, pool, reconciler } = await poolApp(t, 2)
  const pooled = await pooledContainerIds(config)
  const workspaceId = await createWorkspace(app)
  for (const body of [{ memory: '256m' }, { cpu: 0.5 }, { template: 'workspace-test' }]) {
    const { sandboxId } = await createSandbox(t, app, { workspace_id: workspaceId, ...body })
    assert.ok(!pooled.includes(sandboxId), JSON.stringify(body))
    const info = await docker.getContainer(`wm_ws_${sandboxId}`).inspect()
    assert.equal(info.Config.Labels['wm.workspace'], workspaceId, JSON.stringify(body))
  }
  // The reconciler leaves the pool's containers (no row) alone.
  await reconciler.run(false)
  assert.deepEqual(await pooledContainerIds(config), pooled)

  const creates = await Promise.all(
    Array.from({ length: 5 }, () =>
      app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { workspace_id: workspaceId } }),
    ),
  )
  const ids = creates.map((reply) => {
    assert.equal(reply.statusCode, 201, reply.body)
    assert.equal(reply.json().state, 'running')
    return reply.json().id as string
  })
  for (const id of ids) {
    await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${id}?force=true` })
  }
  assert.equal(new Set(ids).size, 5)
  const claimed = ids.filter((id) => pooled.includes(id))
  assert.ok(claimed.length >= 1 && claimed.length <= 2, `claimed ${claimed.length}`)
  await pool.whenFull()
})

test('a claimed sandbox, deleted, leaves no mount, no slot and no container; the pool goes when the server closes', async (t) => {
  const { app, config, pool } = await poolApp(t, 1)
  const poolDir = path.join(config.dataDir, 'pool')
  const workspaceId = await createWorkspace(app)
  await putFile(app, workspaceId, 'keep.txt', 'mine')
  const created = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId },
  })
  const sandboxId = created.json().id as string
  assert.deepEqual(await mountsUnder(path.join(poolDir, sandboxId)), [
    path.join(poolDir, sandboxId, 'workspace'),
  ])
  const stopped = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sandboxId}/stop` })
  assert.equal(stopped.json().state, 'stopped')
  const started = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sandboxId}/start` })
  assert.equal(started.json().state, 'running')
  const again = await run(app, sandboxId, { cmd: 'cat', args: ['/workspace/keep.txt'] })
  assert.equal(again.json.stdout, 'mine', 'the workspace is there after a stop and start')

  const deleted = await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandboxId}` })
  assert.equal(deleted.statusCode, 204)
  assert.deepEqual(await mountsUnder(path.join(poolDir, sandboxId)), [])
  await assert.rejects(fs.stat(path.join(poolDir, sandboxId)), { code: 'ENOENT' })
  assert.ok(!(await containersOf(config)).some((c) => c.Labels['wm.sandbox'] === sandboxId))
  const kept = await fs.readFile(path.join(config.dataDir, 'workspaces', workspaceId, 'keep.txt'))
  assert.equal(kept.toString(), 'mine', 'the workspace itself is untouched')

  await pool.whenFull()
  await app.close()
  assert.deepEqual(await pooledContainerIds(config), [])
  assert.deepEqual(await mountsUnder(poolDir), [])
  assert.deepEqual(await fs.readdir(poolDir), [])
})

test('a pooled sandbox that ran a process is not handed out, and one whose container stopped is replaced', async (t) => {
  const { app, config, pool } = await poolApp(t, 1)
  const [touched] = (await pooledContainerIds(config)) as [string]
  // Only the server knows the agent's token; a test reads it from the container's environment.
  const info = await docker.getContainer(`wm_ws_${touched}`).inspect()
  const token = info.Config.Env.find((entry) => entry.startsWith('WM_AGENT_TOKEN='))!.slice(15)
  const agent = new AgentClient(
    touched,
    { socketPath: path.join(config.dataDir, 'sandboxes', touched, 'run', 'agent.sock') },
    token,
  )
  t.after(() => agent.close())
  await agent.json({ method: 'POST', path: '/v1/processes/run', body: { cmd: 'true', args: [] } })

  const workspaceId = await createWorkspace(app)
  const { sandboxId } = await createSandbox(t, app, { workspace_id: workspaceId })
  const made = await docker.getContainer(`wm_ws_${sandboxId}`).inspect()
  assert.equal(made.Config.Labels['wm.workspace'], workspaceId, 'a container made for it')
  assert.notEqual(made.Id, info.Id)
  const ps = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/processes` })
  assert.deepEqual(ps.json().processes, [], 'nothing the pooled one ran')

  await pool.whenFull()
  const [stopped] = (await pooledContainerIds(config)) as [string]
  await docker.getContainer(`wm_ws_${stopped}`).kill()
  for (let i = 0; pool.holds(stopped); i++) {
    assert.ok(i < 600, 'the pool never noticed its container stopped')
    await sleep(50)
  }
  await pool.whenFull()
  assert.ok(!(await pooledContainerIds(config)).includes(stopped))
  const next = await createSandbox(t, app, { workspace_id: workspaceId })
  assert.notEqual(next.sandboxId, stopped)
  assert.equal(next.sandbox.state, 'running')
})
