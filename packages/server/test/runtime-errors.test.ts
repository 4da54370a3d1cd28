import fs from 'node:fs/promises'
import net from 'node:net'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { apiErrorFromRuntime } from '../src/http/runtime-errors.js'
import { RuntimeError } from '../src/runtime/errors.js'
import { engineFailure } from '../src/runtime/docker/engine-errors.js'
import { createWorkspace } from './helpers/app.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { TEST_TEMPLATE, sandboxApp } from './helpers/sandbox.js'

/** An app on a fake engine (no Docker), and a create request to send it. */
async function fakeApp(t: TestContext) {
  const engine = new FakeEngine({ images: [TEST_TEMPLATE] })
  const runtime = new FakeRuntime({ engine })
  const { app } = await sandboxApp(t, {}, { runtime })
  const workspaceId = await createWorkspace(app)
  const create = () =>
    app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { workspace_id: workspaceId } })
  const nothingLeft = async () => {
    const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
    assert.deepEqual(listed.json().sandboxes, [])
    assert.deepEqual(await runtime.listManaged(), [])
  }
  return { app, engine, create, nothingLeft }
}

test('each runtime failure kind has its API code, and keeps the runtime’s words', () => {
  const cases: Array<[RuntimeError, number, number, string, Record<string, unknown> | undefined]> =
    [
      [new RuntimeError('unavailable', 'engine down'), 1006, 503, 'engine down', undefined],
      [
        new RuntimeError('image_not_found', 'image a:b not found', { image: 'a:b' }),
        2003,
        404,
        'template a:b not found',
        { template: 'a:b' },
      ],
      [
        new RuntimeError('not_found', 'sandbox sb_1 has no container', { sandboxId: 'sb_1' }),
        2002,
        409,
        'sandbox sb_1 has no container',
        { id: 'sb_1' },
      ],
      [
        new RuntimeError('invalid', 'the engine refused: x'),
        1001,
        400,
        'the engine refused: x',
        undefined,
      ],
      [new RuntimeError('conflict', 'name in use'), 1000, 500, 'name in use', undefined],
      [
        new RuntimeError('failed', 'it broke', { image: 'a:b' }),
        1000,
        500,
        'it broke',
        { template: 'a:b' },
      ],
    ]
  for (const [error, code, status, message, details] of cases) {
    const api = apiErrorFromRuntime(error)
    assert.deepEqual(
      [api.code, api.status, api.message, api.details],
      [code, status, message, details],
      error.kind,
    )
  }
})

test('an engine that does not answer is 503 code 1006 for creates and /ready', async (t) => {
  const { app, engine, create, nothingLeft } = await fakeApp(t)
  engine.available = false
  const refused = await create()
  assert.equal(refused.statusCode, 503, refused.body)
  assert.equal(refused.json().error.code, 1006)
  assert.match(refused.json().error.message, /^fake engine unavailable/)
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(ready.statusCode, 503)
  assert.equal(ready.json().error.code, 1006)
  engine.available = true
  await nothingLeft()
})

test('a start failure is answered by its kind, and the sandbox is not kept', async (t) => {
  const { engine, create, nothingLeft } = await fakeApp(t)
  const cases: Array<[RuntimeError, number, number, string]> = [
    [
      new RuntimeError('image_not_found', 'gone', {
        image: TEST_TEMPLATE,
        platform: 'linux/s390x',
      }),
      404,
      2003,
      `template ${TEST_TEMPLATE} not found for platform linux/s390x (DOCKER_PLATFORM)`,
    ],
    [
      new RuntimeError('invalid', "the engine refused the sandbox's settings: no"),
      400,
      1001,
      "the engine refused the sandbox's settings: no",
    ],
    [new RuntimeError('unavailable', 'cannot run runsc'), 503, 1006, 'cannot run runsc'],
    [
      new RuntimeError('failed', 'the engine could not start the container: boom'),
      500,
      1000,
      'the engine could not start the container: boom',
    ],
  ]
  for (const [error, status, code, message] of cases) {
    engine.failNextStart(error)
    const response = await create()
    assert.equal(response.statusCode, status, response.body)
    assert.equal(response.json().error.code, code)
    assert.equal(response.json().error.message, message)
    await nothingLeft()
  }
})

test('Docker: a socket that is not there is unavailable; a missing file of the server’s own is failed', async () => {
  const connectError = await new Promise<Error>((resolve) =>
    net.connect('/nonexistent/wm-engine.sock').on('error', resolve),
  )
  const fileError = await fs.readFile('/nonexistent/wm-checkpoint/state').catch((e: Error) => e)
  const call = { action: 'checkpoint the container', missing: { sandboxId: 'sb_1' } }
  assert.equal(engineFailure(connectError, call).kind, 'unavailable')
  const failed = engineFailure(fileError, call)
  assert.equal(failed.kind, 'failed')
  assert.match(failed.message, /^the engine could not checkpoint the container: ENOENT/)
})
