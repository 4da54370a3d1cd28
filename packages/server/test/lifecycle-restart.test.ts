import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { SqliteStore, type SandboxUpdate } from '../src/store/index.js'
import { createWorkspace, tempDir } from './helpers/app.js'
import { FakeAgents } from './helpers/fake-agent.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { TEST_TEMPLATE } from './helpers/sandbox.js'

/*
 * A server that stops in the middle of an operation, on the fake runtime:
 * the next one, on the same data directory and engine, finishes it off at
 * start-up.
 */

async function serverPair(t: TestContext) {
  const dataDir = await tempDir(t)
  const engine = new FakeEngine({ images: [TEST_TEMPLATE] })
  const agents = new FakeAgents()
  t.after(() => agents.close())
  const config = loadConfig({
    WM_DATA_DIR: dataDir,
    WM_NFS_ENABLED: 'false',
    WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
  })
  const start = async () => {
    const runtime = new FakeRuntime({
      engine,
      instanceId: 'restart-test',
      onStart: agents.onStart,
      onExit: agents.onExit,
    })
    const app = await buildApp(config, { logger: pino({ level: 'silent' }), runtime })
    t.after(() => app.close())
    await app.ready()
    return { app, runtime }
  }
  /** Changes a row while no server runs, as a crash would have left it. */
  const leave = async (id: string, update: SandboxUpdate) => {
    const store = new SqliteStore(path.join(dataDir, 'wm.db'))
    await store.updateSandbox(id, update)
    await store.close()
  }
  return { start, leave }
}

test('a server stopped mid-operation: the next fails what was half-done, keeping what can come back', async (t) => {
  const { start, leave } = await serverPair(t)
  const first = await start()
  const workspaceId = await createWorkspace(first.app)
  const ids: string[] = []
  for (let i = 0; i < 4; i++) {
    const created = await first.app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId },
    })
    assert.equal(created.statusCode, 201, created.body)
    ids.push(created.json().id)
  }
  await first.app.close()
  const [stopping, creating, deleting, running] = ids as [string, string, string, string]
  await leave(stopping, { state: 'stopping', desiredState: 'stopped', operation: 'stop' })
  await leave(creating, { state: 'starting', operation: 'create' })
  await leave(deleting, { state: 'stopping', desiredState: 'deleted', operation: 'delete' })

  const second = await start()
  const get = async (id: string) =>
    (await second.app.inject({ method: 'GET', url: `/v1/sandboxes/${id}` })).json()
  const stopped = await get(stopping)
  assert.deepEqual(
    [stopped.state, stopped.error_message],
    ['error', 'the server restarted while the sandbox was stopping (stop)'],
  )
  assert.equal((await second.runtime.inspect(stopping))?.running, false, 'its container is kept')
  const restarted = await second.app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${stopping}/start`,
  })
  assert.deepEqual([restarted.statusCode, restarted.json().state], [200, 'running'])

  assert.equal((await get(creating)).state, 'error')
  assert.equal(await second.runtime.inspect(creating), undefined, 'a half-made container goes')
  assert.equal((await get(deleting)).error.code, 2001)
  assert.equal(await second.runtime.inspect(deleting), undefined)
  assert.equal((await get(running)).state, 'running')
})
