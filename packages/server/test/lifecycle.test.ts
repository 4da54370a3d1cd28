import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Janitor } from '../src/services/janitor.js'
import type { Reconciler } from '../src/services/reconciler.js'
import type { SandboxService } from '../src/services/sandboxes.js'
import type { Clock } from '../src/services/lifecycle/clock.js'
import { createWorkspace } from './helpers/app.js'
import { FakeAgents } from './helpers/fake-agent.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { TEST_TEMPLATE, sandboxApp } from './helpers/sandbox.js'

/*
 * The lifecycle on the fake runtime, with stand-in agents and a clock of the
 * test's own: no Docker, no waiting for timers (sleeps of the clock return
 * at once and are recorded).
 */

/**
 * Real time plus what the test moved it by (rows are stamped with real time);
 * `sleep` moves it and returns at once.
 */
class TestClock implements Clock {
  #offset = 0
  readonly slept: number[] = []
  now(): number {
    return Date.now() + this.#offset
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms)
    this.#offset += ms
  }
  advance(ms: number): void {
    this.#offset += ms
  }
}

interface Services {
  janitor: Janitor
  reconciler: Reconciler
  sandboxes: SandboxService
}

type Wire = Record<string, any>

async function lifecycleApp(t: TestContext, env: Record<string, string> = {}) {
  const agents = new FakeAgents()
  const engine = new FakeEngine({ images: [TEST_TEMPLATE] })
  const runtime = new FakeRuntime({ engine, onStart: agents.onStart, onExit: agents.onExit })
  const clock = new TestClock()
  let exposed: Services | undefined
  const { app } = await sandboxApp(
    t,
    { WORKSPACE_IDLE_TTL_SECONDS: '60', ...env },
    { runtime, clock, expose: (services) => (exposed = services) },
  )
  t.after(() => agents.close())
  const services = exposed as unknown as Services
  const workspaceId = await createWorkspace(app)
  const create = async (body: Record<string, unknown> = {}): Promise<Wire> => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, ...body },
    })
    assert.equal(response.statusCode, 201, response.body)
    return response.json()
  }
  const act = (id: string, operation: string) =>
    app.inject({ method: 'POST', url: `/v1/sandboxes/${id}/${operation}` })
  const get = async (id: string): Promise<Wire> =>
    (await app.inject({ method: 'GET', url: `/v1/sandboxes/${id}` })).json()
  const exec = (id: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${id}/processes`,
      payload: { cmd: 'echo', args: ['hi'] },
    })
  const containerId = async (id: string) => (await runtime.inspect(id))?.containerId
  /** Lets engine events reach the controller, then waits for what they queued. */
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve))
    await services.sandboxes.lifecycle.idle()
  }
  return {
    app,
    runtime,
    engine,
    clock,
    agents,
    services,
    create,
    act,
    get,
    exec,
    containerId,
    settle,
  }
}

test('stop, start, pause and resume: each answers the sandbox once done; repeats are no-ops', async (t) => {
  const { runtime, create, act, get, containerId } = await lifecycleApp(t)
  const sandbox = await create()
  assert.deepEqual([sandbox.state, sandbox.desired_state], ['running', 'running'])
  assert.deepEqual(
    [sandbox.on_idle, sandbox.on_timeout, sandbox.auto_resume],
    ['delete', 'delete', false],
  )
  const first = await containerId(sandbox.id)

  const paused = await act(sandbox.id, 'pause')
  assert.equal(paused.statusCode, 200, paused.body)
  assert.deepEqual([paused.json().state, paused.json().desired_state], ['paused', 'paused'])
  assert.equal(runtime.isPaused(sandbox.id), true)
  assert.equal((await act(sandbox.id, 'pause')).json().state, 'paused')

  const resumed = await act(sandbox.id, 'resume')
  assert.deepEqual([resumed.statusCode, resumed.json().state], [200, 'running'])
  assert.equal(runtime.isPaused(sandbox.id), false)
  assert.equal((await act(sandbox.id, 'resume')).json().state, 'running')

  const stopped = await act(sandbox.id, 'stop')
  assert.deepEqual([stopped.statusCode, stopped.json().state], [200, 'stopped'])
  assert.equal(stopped.json().desired_state, 'stopped')
  const status = await runtime.inspect(sandbox.id)
  assert.deepEqual([status?.containerId, status?.running], [first, false], 'the container is kept')
  assert.equal((await act(sandbox.id, 'stop')).json().state, 'stopped')

  const refused = await act(sandbox.id, 'pause')
  assert.equal(refused.statusCode, 409)
  assert.equal(refused.json().error.code, 2002)

  const started = await act(sandbox.id, 'start')
  assert.deepEqual([started.statusCode, started.json().state], [200, 'running'])
  assert.equal(await containerId(sandbox.id), first, 'the same container runs again')
  assert.equal((await act(sandbox.id, 'start')).json().state, 'running')

  // Resume of a stopped sandbox makes it run again too.
  await act(sandbox.id, 'stop')
  assert.equal((await act(sandbox.id, 'resume')).json().state, 'running')
  assert.equal((await get(sandbox.id)).state, 'running')

  for (const operation of ['stop', 'start', 'pause', 'resume']) {
    const missing = await act('sb_missing', operation)
    assert.deepEqual([missing.statusCode, missing.json().error.code], [404, 2001], operation)
  }
})

test('concurrent operations on one sandbox queue, each acting on what the one before left', async (t) => {
  const { app, create, act, get } = await lifecycleApp(t)
  const sandbox = await create()
  const replies = await Promise.all(
    ['stop', 'start', 'pause', 'stop', 'resume'].map((operation) => act(sandbox.id, operation)),
  )
  assert.deepEqual(
    replies.map((reply) => [reply.statusCode, reply.json().state]),
    [
      [200, 'stopped'],
      [200, 'running'],
      [200, 'paused'],
      [200, 'stopped'],
      [200, 'running'],
    ],
  )
  // A delete behind a start waits for it, then removes the sandbox.
  const [stop, start, removed] = await Promise.all([
    act(sandbox.id, 'stop'),
    act(sandbox.id, 'start'),
    app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandbox.id}` }),
  ])
  assert.deepEqual([stop.statusCode, start.statusCode, removed.statusCode], [200, 200, 204])
  assert.equal((await get(sandbox.id)).error.code, 2001)
})

test('WORKSPACE_IDLE_ACTION=pause: the janitor pauses an idle sandbox; the next call resumes it', async (t) => {
  const { create, get, exec, runtime, clock, services, agents } = await lifecycleApp(t, {
    WORKSPACE_IDLE_ACTION: 'pause',
  })
  const sandbox = await create()
  assert.deepEqual(
    [sandbox.on_idle, sandbox.on_timeout, sandbox.auto_resume],
    ['pause', 'pause', true],
  )
  assert.deepEqual(await services.janitor.sweep(), [], 'not idle yet')
  clock.advance(61_000)
  assert.deepEqual(await services.janitor.sweep(), [sandbox.id])
  assert.deepEqual([(await get(sandbox.id)).state, runtime.isPaused(sandbox.id)], ['paused', true])
  const ran = await exec(sandbox.id)
  assert.equal(ran.statusCode, 200, ran.body)
  assert.equal(ran.json().stdout, 'echo hi')
  assert.deepEqual(agents.ran, [`${sandbox.id}: echo hi`])
  assert.deepEqual(
    [(await get(sandbox.id)).state, runtime.isPaused(sandbox.id)],
    ['running', false],
  )
  assert.deepEqual(await services.janitor.sweep(), [], 'the call was activity')
})

test('on_idle stop: stopped when idle, started again by an exec (auto_resume)', async (t) => {
  const { create, get, exec, runtime, clock, services, containerId } = await lifecycleApp(t)
  const sandbox = await create({ on_idle: 'stop' })
  assert.deepEqual(
    [sandbox.on_idle, sandbox.on_timeout, sandbox.auto_resume],
    ['stop', 'delete', true],
  )
  const first = await containerId(sandbox.id)
  clock.advance(61_000)
  assert.deepEqual(await services.janitor.sweep(), [sandbox.id])
  assert.equal((await get(sandbox.id)).state, 'stopped')
  assert.equal((await runtime.inspect(sandbox.id))?.running, false)
  const ran = await exec(sandbox.id)
  assert.equal(ran.statusCode, 200, ran.body)
  assert.equal((await get(sandbox.id)).state, 'running')
  assert.equal(await containerId(sandbox.id), first)
})

test('on_idle delete (the default) removes the idle sandbox; auto_resume false answers 409', async (t) => {
  const { create, get, exec, act, clock, services } = await lifecycleApp(t)
  const deleted = await create()
  const kept = await create({ on_idle: 'pause', auto_resume: false })
  assert.equal(kept.auto_resume, false)
  clock.advance(61_000)
  assert.deepEqual((await services.janitor.sweep()).sort(), [deleted.id, kept.id].sort())
  assert.equal((await get(deleted.id)).error.code, 2001)
  assert.equal((await get(kept.id)).state, 'paused')
  const refused = await exec(kept.id)
  assert.deepEqual([refused.statusCode, refused.json().error.code], [409, 2002])
  assert.equal((await act(kept.id, 'resume')).json().state, 'running')
  assert.equal((await exec(kept.id)).statusCode, 200)
})

test('on_timeout stop: the sandbox is stopped at its timeout; started again, it gets a new one', async (t) => {
  const { create, get, act, clock, services } = await lifecycleApp(t)
  const sandbox = await create({ timeout: 30, on_timeout: 'stop' })
  await services.sandboxes.lifecycle.expire()
  assert.equal((await get(sandbox.id)).state, 'running')
  clock.advance(31_000)
  await services.sandboxes.lifecycle.expire()
  assert.equal((await get(sandbox.id)).state, 'stopped')
  await services.sandboxes.lifecycle.expire()
  const started = (await act(sandbox.id, 'start')).json()
  assert.equal(started.state, 'running')
  assert.ok(Date.parse(started.expires_at) > clock.now(), started.expires_at)
  await services.sandboxes.lifecycle.expire()
  assert.equal((await get(sandbox.id)).state, 'running')
})

test('a container that dies is restarted after a back-off, the same container', async (t) => {
  const { create, get, runtime, clock, settle, containerId } = await lifecycleApp(t)
  const sandbox = await create()
  const first = await containerId(sandbox.id)
  runtime.kill(sandbox.id)
  await settle()
  const after = await get(sandbox.id)
  assert.deepEqual([after.state, after.error_message], ['running', null])
  assert.equal(await containerId(sandbox.id), first)
  assert.deepEqual(clock.slept, [1000])
})

test('a container that cannot be restarted: three tries with doubling back-off, then error with the reason', async (t) => {
  const { create, get, act, runtime, engine, clock, settle } = await lifecycleApp(t)
  const sandbox = await create()
  for (let i = 0; i < 3; i++) engine.failNextStart()
  runtime.kill(sandbox.id)
  await settle()
  const failed = await get(sandbox.id)
  assert.equal(failed.state, 'error')
  assert.match(
    failed.error_message,
    /^the container exited unexpectedly \(code 137\); 3 restarts failed/,
  )
  assert.deepEqual(clock.slept, [1000, 2000, 4000])
  assert.equal((await runtime.inspect(sandbox.id))?.running, false, 'the container is kept')
  // Its container is still there: start brings it back.
  const started = await act(sandbox.id, 'start')
  assert.deepEqual([started.statusCode, started.json().state], [200, 'running'])
  assert.equal(started.json().error_message, null)
})

test('a container that keeps dying is given up on after three restarts within the window', async (t) => {
  const { create, get, runtime, clock, settle } = await lifecycleApp(t)
  const sandbox = await create()
  for (let i = 0; i < 3; i++) {
    runtime.kill(sandbox.id)
    await settle()
    assert.equal((await get(sandbox.id)).state, 'running', `restart ${i + 1}`)
  }
  runtime.kill(sandbox.id)
  await settle()
  const failed = await get(sandbox.id)
  assert.equal(failed.state, 'error')
  assert.match(failed.error_message, /again after 3 restarts/)
  assert.deepEqual(clock.slept, [1000, 2000, 4000])
})

test('a container removed behind the server’s back is made again from the spec, by event or by the reconciler', async (t) => {
  const { create, get, runtime, settle, containerId, services } = await lifecycleApp(t)
  const sandbox = await create()
  const first = await containerId(sandbox.id)
  runtime.removeBehindBack(sandbox.id)
  await settle()
  assert.equal((await get(sandbox.id)).state, 'running')
  const second = await containerId(sandbox.id)
  assert.ok(second && second !== first, 'a new container')

  // The same, found by the reconciler's pass rather than an event (the watch was down).
  const other = await create()
  await services.sandboxes.lifecycle.stop()
  runtime.removeBehindBack(other.id)
  await services.reconciler.run(false)
  assert.equal((await get(other.id)).state, 'running')
  assert.equal((await runtime.inspect(other.id))?.running, true)
})

test('a stopped sandbox whose container vanished is an error saying so; start makes it again', async (t) => {
  const { create, get, act, runtime, services } = await lifecycleApp(t)
  const sandbox = await create()
  await act(sandbox.id, 'stop')
  runtime.removeBehindBack(sandbox.id)
  await services.reconciler.run(false)
  const failed = await get(sandbox.id)
  assert.deepEqual(
    [failed.state, failed.error_message],
    ['error', 'the container vanished while the sandbox was stopped'],
  )
  assert.equal((await act(sandbox.id, 'start')).json().state, 'running')
})

test('a checkpoint of a paused sandbox with auto_resume resumes it first; without, 409', async (t) => {
  const { app, create, act, get } = await lifecycleApp(t)
  const sleeper = await create({ on_idle: 'pause' })
  await act(sleeper.id, 'pause')
  const taken = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sleeper.id}/checkpoints` })
  assert.equal(taken.statusCode, 201, taken.body)
  assert.equal((await get(sleeper.id)).state, 'running')

  const strict = await create()
  await act(strict.id, 'stop')
  const refused = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${strict.id}/checkpoints`,
  })
  assert.deepEqual([refused.statusCode, refused.json().error.code], [409, 2002])
  assert.equal((await get(strict.id)).state, 'stopped')
})
