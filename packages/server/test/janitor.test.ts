import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import WebSocket from 'ws'
import { ActivityTracker } from '../src/services/activity.js'
import { Janitor } from '../src/services/janitor.js'
import type { MetadataStore, SandboxRecord } from '../src/store/index.js'
import { containersOf, createSandbox, sandboxApp } from './helpers/sandbox.js'

/** Sandbox ids the server lists (listing names no sandbox, so it is not activity). */
async function listed(app: FastifyInstance): Promise<string[]> {
  const response = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  return response.json<{ sandboxes: Array<{ id: string }> }>().sandboxes.map((s) => s.id)
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(100)
  }
}

/** TTL 2 s, a sweep every 300 ms (below the 10 s floor of the variable: tests only). */
const FAST = { env: { WORKSPACE_IDLE_TTL_SECONDS: '2' }, deps: { janitorIntervalMs: 300 } }

test('ActivityTracker: touch, busy while open, idle clock never before its start', () => {
  const start = Date.parse('2026-01-01T00:00:10.000Z')
  const activity = new ActivityTracker(start)
  const old = { id: 'sb_old', createdAt: '2026-01-01T00:00:00.000Z' }
  const fresh = { id: 'sb_new', createdAt: '2026-01-01T00:00:20.000Z' }
  assert.equal(activity.lastActivity(old), start)
  assert.equal(activity.lastActivity(fresh), Date.parse(fresh.createdAt))
  activity.touch('sb_old', start + 5000)
  activity.touch('sb_old', start + 1000)
  assert.equal(activity.lastActivityAt(old), '2026-01-01T00:00:15.000Z')
  const end1 = activity.begin('sb_old')
  const end2 = activity.begin('sb_old')
  assert.equal(activity.busy('sb_old'), true)
  end1()
  end1()
  assert.equal(activity.busy('sb_old'), true)
  end2()
  assert.equal(activity.busy('sb_old'), false)
  assert.ok(activity.lastActivity(old) >= Date.now() - 1000)
  activity.prune(new Set())
  assert.equal(activity.lastActivity(old), start)
})

test('Janitor: acts only on what is idle past the TTL; skips busy, paused, stopped and mid-operation sandboxes', async () => {
  const now = Date.now()
  const record = (
    id: string,
    state: SandboxRecord['state'],
    ageSeconds: number,
    onIdle: SandboxRecord['onIdle'] = 'delete',
  ) =>
    ({
      id,
      state,
      onIdle,
      createdAt: new Date(now - ageSeconds * 1000).toISOString(),
    }) as SandboxRecord
  const records = [
    record('sb_idle', 'running', 100),
    record('sb_failed', 'error', 100),
    record('sb_failed_kept', 'error', 100, 'stop'),
    record('sb_recent', 'running', 5),
    record('sb_busy', 'running', 100),
    record('sb_touched', 'running', 100),
    record('sb_starting', 'starting', 100),
    record('sb_stopping', 'stopping', 100),
    record('sb_paused', 'paused', 100, 'pause'),
    record('sb_stopped', 'stopped', 100, 'stop'),
    record('sb_to_pause', 'running', 100, 'pause'),
  ]
  const activity = new ActivityTracker(now - 1_000_000)
  activity.begin('sb_busy')
  activity.touch('sb_touched', now - 2000)
  const asked: Array<[string, string]> = []
  const janitor = new Janitor({
    store: { listSandboxes: async () => records } as unknown as MetadataStore,
    lifecycle: {
      applyAction: async (id: string, cause: 'idle' | 'timeout', stillDue?: () => boolean) => {
        assert.equal(stillDue?.(), true)
        asked.push([id, cause])
      },
    },
    activity,
    log: pino({ level: 'silent' }),
    idleTtlSeconds: 10,
    intervalMs: 60_000,
  })
  assert.deepEqual((await janitor.sweep()).sort(), ['sb_failed', 'sb_idle', 'sb_to_pause'])
  // The controller applies each sandbox's own on_idle (delete is the graceful one).
  assert.deepEqual(asked.sort(), [
    ['sb_failed', 'idle'],
    ['sb_idle', 'idle'],
    ['sb_to_pause', 'idle'],
  ])
})

test('an idle sandbox is stopped and removed after WORKSPACE_IDLE_TTL_SECONDS', async (t) => {
  const { app, config } = await sandboxApp(t, FAST.env, FAST.deps)
  const { sandboxId, sandbox } = await createSandbox(t, app)
  assert.equal(sandbox.last_activity_at, sandbox.created_at)
  // The idle clock starts at created_at, which is before a (slow) create answers.
  const created = Date.parse(sandbox.created_at as string)
  await waitUntil(async () => !(await listed(app)).includes(sandboxId), 20_000, 'it is removed')
  const after = (Date.now() - created) / 1000
  assert.ok(after >= 1.9, `removed after ${after} s, before the TTL`)
  assert.deepEqual(
    (await containersOf(config)).map((c) => c.Labels['wm.sandbox']),
    [],
    'the container is gone too',
  )
  const gone = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
  assert.equal(gone.statusCode, 404)
})

test('keep-alive calls keep a sandbox while its idle neighbour is removed', async (t) => {
  const { app } = await sandboxApp(t, FAST.env, FAST.deps)
  const kept = await createSandbox(t, app)
  const idle = await createSandbox(t, app, { workspace_id: kept.workspaceId })
  const keepalive = () =>
    app.inject({ method: 'POST', url: `/v1/sandboxes/${kept.sandboxId}/keepalive` })
  const first = await keepalive()
  assert.equal(first.statusCode, 204)
  assert.equal(first.body, '')
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    assert.equal((await keepalive()).statusCode, 204)
    await sleep(500)
  }
  const ids = await listed(app)
  assert.ok(!ids.includes(idle.sandboxId), 'the idle sandbox is still there')
  assert.ok(ids.includes(kept.sandboxId), 'the kept-alive sandbox was removed')
  const got = await app.inject({ method: 'GET', url: `/v1/sandboxes/${kept.sandboxId}` })
  const lastActivity = Date.parse(got.json().last_activity_at)
  assert.ok(Date.now() - lastActivity < 1500, `last_activity_at ${got.json().last_activity_at}`)
  assert.ok(lastActivity > Date.parse(got.json().created_at))
  const missing = await app.inject({ method: 'POST', url: '/v1/sandboxes/sb_missing/keepalive' })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().error.code, 2001)
})

test('an open process stream counts as activity for as long as it is open', async (t) => {
  const { app } = await sandboxApp(t, FAST.env, FAST.deps)
  const { sandboxId } = await createSandbox(t, app)
  // Silent for 5 s: only the open stream keeps the sandbox.
  const started = Date.now()
  const stream = app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    headers: { accept: 'text/event-stream' },
    payload: { cmd: 'sh', args: ['-c', 'sleep 5; echo done'] },
  })
  const reply = await stream
  assert.ok(Date.now() - started >= 4900)
  assert.match(reply.body, /event: exit/)
  assert.match(reply.body, /done/)
  assert.ok((await listed(app)).includes(sandboxId), 'removed while its stream was open')
  // Once the stream has closed, the idle clock runs again.
  await waitUntil(async () => !(await listed(app)).includes(sandboxId), 20_000, 'it is removed')
})

test('an attached PTY counts as activity until its socket closes', async (t) => {
  const { app } = await sandboxApp(t, FAST.env, FAST.deps)
  const { sandboxId } = await createSandbox(t, app)
  // A real socket: app.injectWS only notices the client's close after ws's 30 s close timeout.
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/sandboxes/${sandboxId}/pty`)
  await new Promise((resolve, reject) => {
    ws.once('message', resolve)
    ws.once('error', reject)
  })
  await sleep(4000)
  assert.ok((await listed(app)).includes(sandboxId), 'removed while a PTY was attached')
  ws.close()
  await waitUntil(async () => !(await listed(app)).includes(sandboxId), 20_000, 'it is removed')
})

test('a proxied WebSocket counts as activity until it closes', async (t) => {
  const { app } = await sandboxApp(t, FAST.env, FAST.deps)
  const { sandboxId, workspaceId } = await createSandbox(t, app)
  const script = await fs.readFile(new URL('./fixtures/proxy-servers.py', import.meta.url))
  const written = await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${workspaceId}/files/content?path=servers.py`,
    payload: script,
  })
  assert.equal(written.statusCode, 201, written.body)
  const started = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    payload: { cmd: 'sh', args: ['-c', 'nohup python3 servers.py 8001 >/tmp/bg.log 2>&1 &'] },
  })
  assert.equal(started.statusCode, 200, started.body)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const url = `ws://127.0.0.1:${port}/v1/sandboxes/${sandboxId}/proxy/8001/`
  let ws: WebSocket | undefined
  for (const deadline = Date.now() + 20_000; !ws;) {
    const attempt = new WebSocket(url)
    const opened = await new Promise<boolean>((resolve) => {
      attempt.once('message', () => resolve(true))
      attempt.once('error', () => resolve(false))
    })
    if (opened) ws = attempt
    else if (Date.now() > deadline) throw new Error('the WebSocket service never came up')
    else await sleep(200)
  }
  await sleep(4000)
  assert.ok((await listed(app)).includes(sandboxId), 'removed while a proxied WebSocket was open')
  ws.close()
  await waitUntil(async () => !(await listed(app)).includes(sandboxId), 20_000, 'it is removed')
})

test('removal by the janitor gives processes WORKSPACE_STOP_TIMEOUT_SECONDS after SIGTERM', async (t) => {
  const grace = 4
  const { app, config } = await sandboxApp(
    t,
    { ...FAST.env, WORKSPACE_STOP_TIMEOUT_SECONDS: String(grace) },
    FAST.deps,
  )
  const { sandboxId, workspaceId } = await createSandbox(t, app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  // A process that notes SIGTERM and carries on, ticking, until SIGKILL.
  const script = [
    "trap 'date +%s.%N > /workspace/term' TERM",
    'while :; do date +%s.%N >> /workspace/ticks; sleep 0.2; done',
  ].join('\n')
  await new Promise<void>((resolve, reject) => {
    const request = http.request(
      `http://127.0.0.1:${port}/v1/sandboxes/${sandboxId}/processes`,
      {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      },
      (response) => {
        response.once('data', () => {
          // Started: hang up; the process lives on, the stream no longer counts.
          request.destroy()
          resolve()
        })
      },
    )
    request.on('error', () => undefined)
    request.end(JSON.stringify({ cmd: 'bash', args: ['-c', script] }))
    setTimeout(() => reject(new Error('no start event')), 15_000).unref()
  })
  await waitUntil(async () => !(await listed(app)).includes(sandboxId), 30_000, 'it is removed')
  const dir = path.join(config.dataDir, 'workspaces', workspaceId)
  const term = Number(await fs.readFile(path.join(dir, 'term'), 'utf8'))
  const ticks = (await fs.readFile(path.join(dir, 'ticks'), 'utf8')).trim().split('\n').map(Number)
  const lastTick = ticks[ticks.length - 1]!
  const lived = lastTick - term
  t.diagnostic(`the process ticked ${lived.toFixed(2)} s after SIGTERM (grace ${grace} s)`)
  assert.ok(lived >= grace - 1, `killed ${lived} s after SIGTERM, before the grace`)
  assert.ok(lived <= grace + 2, `still alive ${lived} s after SIGTERM, past the grace`)
})
