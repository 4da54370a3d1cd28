import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createWorkspace } from './helpers/app.js'
import { FakeAgents } from './helpers/fake-agent.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { TEST_TEMPLATE, sandboxApp } from './helpers/sandbox.js'

// A runtime that can save neither filesystems nor processes (Kubernetes): refused before any work.
test('checkpoints on a runtime without filesystem checkpoints are 409 code 2006', async (t) => {
  const agents = new FakeAgents()
  t.after(() => agents.close())
  const runtime = new FakeRuntime({
    engine: new FakeEngine({ images: [TEST_TEMPLATE] }),
    onStart: agents.onStart,
    onExit: agents.onExit,
    capabilities: { filesystemCheckpoints: false },
  })
  const { app } = await sandboxApp(t, {}, { runtime })
  const workspaceId = await createWorkspace(app)
  const created = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId },
  })
  assert.equal(created.statusCode, 201, created.body)
  const id = created.json<{ id: string }>().id
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${id}/checkpoints`,
    payload: {},
  })
  assert.equal(response.statusCode, 409, response.body)
  const error = response.json<{ error: { code: number; message: string } }>().error
  assert.equal(error.code, 2006)
  assert.equal(error.message, 'filesystem checkpoints are not available on the Kubernetes runtime')
  assert.deepEqual(await runtime.listImages('wm.checkpoint'), [])
  const listed = await app.inject({ method: 'GET', url: `/v1/sandboxes/${id}/checkpoints` })
  assert.deepEqual(listed.json(), { checkpoints: [] })
  await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${id}?force=true` })
})
