import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeClose } from './helpers/app.js'
import { open } from './helpers/pty.js'
import { createSandbox, run, sandboxApp } from './helpers/sandbox.js'

test('a PTY: ready first, a working shell, resize, exit code last', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const term = await open(app, `/v1/sandboxes/${sandboxId}/pty?cols=100&rows=30&env=GREETING=hi`)
  const ready = await term.control('ready')
  assert.match(String(ready.pty_id), /.+/)
  term.type('stty size; echo "$GREETING from $TERM"\n')
  await term.waitFor('30 100')
  await term.waitFor('hi from xterm-256color')
  term.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }))
  await sleep(100)
  term.type('stty size\n')
  await term.waitFor('40 120')
  term.type('exit 3\n')
  assert.equal((await term.control('exit')).code, 3)
  assert.equal(await term.closed, 1000)
})

test('kill ends the shell; a bad control message gets an error back', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const term = await open(app, `/v1/sandboxes/${sandboxId}/pty`)
  await term.control('ready')
  term.ws.send('not json')
  assert.equal((await term.control('error')).code, 1001)
  term.ws.send(JSON.stringify({ type: 'kill' }))
  const exit = await term.control('exit')
  assert.equal(exit.code, 137)
})

test('reattach by pty_id replays what was missed; an unknown pty is 404 code 4001', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const first = await open(app, `/v1/sandboxes/${sandboxId}/pty`)
  const { pty_id: ptyId } = await first.control('ready')
  first.type('echo before-drop\n')
  await first.waitFor('before-drop\r\n')
  first.ws.terminate()
  await first.closed
  // Output produced while nobody is attached is kept for the next client.
  await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'sleep 0.2'] })
  const second = await open(app, `/v1/sandboxes/${sandboxId}/pty/${ptyId}`)
  await second.control('ready')
  await second.waitFor('before-drop')
  second.type('echo after-reattach\n')
  await second.waitFor('after-reattach\r\n')
  second.ws.send(JSON.stringify({ type: 'kill' }))
  await second.control('exit')

  const missing = await app.inject({
    method: 'GET',
    url: `/v1/sandboxes/${sandboxId}/pty/pty-nope`,
  })
  assert.ok([404, 400].includes(missing.statusCode))
  await assert.rejects(
    app.injectWS(`/v1/sandboxes/${sandboxId}/pty/nope`),
    /404|Unexpected server response/,
  )
})

test('10 concurrent PTYs each run their own shell', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const terms = await Promise.all(
    Array.from({ length: 10 }, () => open(app, `/v1/sandboxes/${sandboxId}/pty`)),
  )
  await Promise.all(terms.map((term) => term.control('ready')))
  terms.forEach((term, i) => term.type(`echo term-$((${i} * 7))\n`))
  await Promise.all(terms.map((term, i) => term.waitFor(`term-${i * 7}\r\n`)))
  for (const term of terms) term.ws.send(JSON.stringify({ type: 'kill' }))
  await Promise.all(terms.map((term) => term.control('exit')))
})

test('the PTY WebSocket needs the API key, or a token minted for that sandbox', async (t) => {
  const { app } = await sandboxApp(t, { WORKSPACE_API_KEY: 'k' })
  const key = { 'x-api-key': 'k' }
  const workspace = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: key,
    payload: {},
  })
  const created = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    headers: key,
    payload: { workspace_id: workspace.json().id },
  })
  const sandboxId = created.json().id
  beforeClose(app, () =>
    app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandboxId}?force=true`, headers: key }),
  )
  await assert.rejects(
    app.injectWS(`/v1/sandboxes/${sandboxId}/pty`),
    /401|Unexpected server response/,
  )
  const minted = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/pty/tokens`,
    headers: key,
  })
  assert.equal(minted.statusCode, 201)
  const { token } = minted.json()
  const term = await open(app, `/v1/sandboxes/${sandboxId}/pty?token=${encodeURIComponent(token)}`)
  await term.control('ready')
  term.ws.send(JSON.stringify({ type: 'kill' }))
  await term.control('exit')
  const wrong = await app.inject({
    method: 'GET',
    url: `/v1/sandboxes/sb_other/pty?token=${encodeURIComponent(token)}`,
  })
  assert.equal(wrong.statusCode, 401)
  assert.equal(wrong.json().error.code, 6001)
})
