import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { createSandbox, parseSse, run, sandboxApp } from './helpers/sandbox.js'

test('run: stdout, stderr, exit code, env, cwd and stdin', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const echo = await run(app, sandboxId, { cmd: 'echo', args: ['Hello', 'World'] })
  assert.equal(echo.status, 200)
  assert.equal(echo.json.exit_code, 0)
  assert.equal(echo.json.stdout, 'Hello World\n')
  assert.equal(echo.json.stderr, '')
  assert.ok(echo.json.pid > 1)
  const fail = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'echo oops >&2; exit 3'] })
  assert.equal(fail.json.exit_code, 3)
  assert.equal(fail.json.stderr, 'oops\n')
  const env = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'echo "$LC_ALL $PWD"'],
    env: { LC_ALL: 'C' },
    cwd: '/tmp',
  })
  assert.equal(env.json.stdout, 'C /tmp\n')
  const stdin = await run(app, sandboxId, { cmd: 'cat', stdin: 'fed through stdin' })
  assert.equal(stdin.json.stdout, 'fed through stdin')
  const unicode = await run(app, sandboxId, { cmd: 'printf', args: ['żółć ✓ 🚀'] })
  assert.equal(unicode.json.stdout, 'żółć ✓ 🚀')
})

test('a command that cannot start exits 127 (missing) or 126 (not executable)', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const missing = await run(app, sandboxId, { cmd: 'no-such-command' })
  assert.equal(missing.json.exit_code, 127)
  assert.match(missing.json.stderr, /no-such-command/)
  await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'echo x > /tmp/f; chmod -x /tmp/f'] })
  const notExecutable = await run(app, sandboxId, { cmd: '/tmp/f' })
  assert.equal(notExecutable.json.exit_code, 126)
})

test('past its timeout a command is killed with its group: 408 code 3002 with its output', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const started = Date.now()
  const slow = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'echo before; sleep 30 & sleep 30'],
    timeout: 1,
  })
  assert.ok(Date.now() - started < 5000)
  assert.equal(slow.status, 408)
  assert.equal(slow.json.error.code, 3002)
  assert.equal(slow.json.error.details.stdout, 'before\n')
  const left = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'ps -eo comm | grep -c sleep || true'],
  })
  assert.equal(left.json.stdout.trim(), '0')
})

test('SSE: start, stdout and stderr in order, then exit with the code', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    headers: { accept: 'text/event-stream' },
    payload: {
      cmd: 'sh',
      args: ['-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.1; done; exit 7'],
    },
  })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /^text\/event-stream/)
  const events = parseSse(response.body)
  assert.equal(events[0]?.event, 'start')
  assert.ok(events[0]?.data.pid > 1)
  const text = (type: string) =>
    events
      .filter((e) => e.event === type)
      .map((e) => e.data.data)
      .join('')
  assert.equal(text('stdout'), 'out1\nout2\nout3\n')
  assert.equal(text('stderr'), 'err1\nerr2\nerr3\n')
  assert.deepEqual(events.at(-1), {
    event: 'exit',
    data: { code: 7, timed_out: false },
    id: events.at(-1)?.id,
  })
})

test('SSE: a writer faster than the stream loses nothing, from its first byte', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  // Eight times the agent's replay ring, written at once: what the agent reads before the
  // server asks for the events is held for it, not evicted.
  const bytes = 8 * 1024 * 1024
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    headers: { accept: 'text/event-stream' },
    payload: { cmd: 'sh', args: ['-c', `yes | head -c ${bytes}`] },
  })
  assert.equal(response.statusCode, 200)
  const events = parseSse(response.body)
  assert.deepEqual(
    events.filter((e) => e.data.dropped).map((e) => e.data.dropped),
    [],
    'no output dropped',
  )
  const stdout = events.filter((e) => e.event === 'stdout').map((e) => e.data.data)
  assert.equal(stdout.join('').length, bytes)
  assert.equal(events.at(-1)?.event, 'exit')
})

test('SSE: a command that cannot start is an error event', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    headers: { accept: 'text/event-stream' },
    payload: { cmd: 'no-such-command' },
  })
  const events = parseSse(response.body)
  assert.equal(events.at(-1)?.event === 'error' || events.at(-1)?.data.code === 127, true)
})

test('a disconnected client loses nothing: output is replayed and followed by pid', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const controller = new AbortController()
  const response = await fetch(`${address}/v1/sandboxes/${sandboxId}/processes`, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ cmd: 'sh', args: ['-c', 'echo first; sleep 1; echo second'] }),
    signal: controller.signal,
  })
  const reader = response.body!.getReader()
  let seen = ''
  while (!seen.includes('first')) seen += new TextDecoder().decode((await reader.read()).value)
  const pid = parseSse(seen.slice(0, seen.lastIndexOf('\n\n') + 2))[0]?.data.pid
  controller.abort()
  await sleep(1500)
  const replay = await app.inject({
    method: 'GET',
    url: `/v1/sandboxes/${sandboxId}/processes/${pid}/output`,
  })
  const events = parseSse(replay.body)
  assert.deepEqual(
    events.filter((e) => e.event === 'stdout').map((e) => e.data.data),
    ['first\n', 'second\n'],
  )
  assert.equal(events.at(-1)?.data.code, 0)
  const resumed = await app.inject({
    method: 'GET',
    url: `/v1/sandboxes/${sandboxId}/processes/${pid}/output`,
    headers: { 'last-event-id': String(events[1]?.id) },
  })
  assert.deepEqual(
    parseSse(resumed.body)
      .filter((e) => e.event === 'stdout')
      .map((e) => e.data.data),
    ['second\n'],
  )
})

/** Polls the process list until a running process of `cmd` shows up; returns its pid. */
async function runningPid(app: FastifyInstance, sandboxId: string, cmd: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const listed = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/processes` })
    const found = listed
      .json()
      .processes.find((p: { cmd: string; state: string }) => p.cmd === cmd && p.state === 'running')
    if (found) return found.pid
    await sleep(50)
  }
  throw new Error(`no running ${cmd} process`)
}

test('list, signal and stdin for a long-running process', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const streamed = app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    headers: { accept: 'text/event-stream' },
    payload: { cmd: 'cat', stdin: true },
  })
  const pid = await runningPid(app, sandboxId, 'cat')
  assert.ok(pid)
  const fed = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes/${pid}/stdin?eof=true`,
    payload: 'line one\n',
    headers: { 'content-type': 'text/plain' },
  })
  assert.equal(fed.statusCode, 204)
  const events = parseSse((await streamed).body)
  assert.equal(
    events
      .filter((e) => e.event === 'stdout')
      .map((e) => e.data.data)
      .join(''),
    'line one\n',
  )
  assert.equal(events.at(-1)?.data.code, 0)

  const sleeper = app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    payload: { cmd: 'sleep', args: ['60'] },
  })
  const sleepPid = await runningPid(app, sandboxId, 'sleep')
  const signalled = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes/${sleepPid}/signal`,
    payload: { signal: 15 },
  })
  assert.equal(signalled.statusCode, 204)
  const result = (await sleeper).json()
  assert.equal(result.exit_code, 143)
  const unknown = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes/999999/signal`,
    payload: { signal: 15 },
  })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().error.code, 3001)
})
