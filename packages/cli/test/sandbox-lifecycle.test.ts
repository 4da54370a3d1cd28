import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, test } from 'node:test'
import { runWm, skipUnbuilt } from './support/run-wm.js'

/** A sandbox as the server sends it, in the state `state`. */
function wireSandbox(state: string) {
  return {
    id: 'sb_1',
    workspace_id: 'ws_1',
    template: 'workspace-test:latest',
    state,
    created_at: '2026-11-24T10:00:05.123Z',
    updated_at: '2026-11-24T10:00:07.000Z',
    name: null,
    env: null,
    metadata: null,
    timeout: null,
    error_message: null,
    cpu: 1,
    memory: 536870912,
    network_mode: 'none',
    application_kind: null,
    expires_at: null,
    last_activity_at: '2026-11-24T10:00:07.000Z',
    desired_state: state === 'paused' ? 'paused' : state === 'stopped' ? 'stopped' : 'running',
    on_idle: 'stop',
    on_timeout: 'delete',
    auto_resume: true,
  }
}

const REACHED: Record<string, string> = {
  stop: 'stopped',
  start: 'running',
  pause: 'paused',
  resume: 'running',
}

describe('wm sandbox stop|start|pause|resume', { skip: skipUnbuilt }, () => {
  let server: Server
  let env: Record<string, string>
  const seen: { method: string; url: string; body: string }[] = []

  before(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body })
        const action = /^\/v1\/sandboxes\/([^/]+)(?:\/(\w+))?$/.exec(req.url ?? '')
        const [status, reply] =
          action?.[1] === 'gone'
            ? [404, { error: { code: 2001, message: 'sandbox gone not found' } }]
            : action?.[2] === 'pause' && action[1] === 'stopped'
              ? [409, { error: { code: 2002, message: 'sandbox stopped is not running' } }]
              : [200, wireSandbox(action?.[2] ? (REACHED[action[2]] ?? 'error') : 'paused')]
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(reply))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    env = { WORKSPACE_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
  })
  beforeEach(() => {
    seen.length = 0
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  for (const verb of Object.keys(REACHED)) {
    test(`${verb} posts to the route and prints the sandbox as get does`, async () => {
      const human = await runWm(['sandbox', verb, 'sb_1'], { env })
      assert.equal(human.code, 0, human.stderr)
      assert.deepEqual(seen, [{ method: 'POST', url: `/v1/sandboxes/sb_1/${verb}`, body: '' }])
      assert.match(human.stdout, new RegExp(`^id: +sb_1\\nstate: +${REACHED[verb]}\\n`))
      assert.match(human.stdout, /\non timeout: +delete\non idle: +stop\nauto resume: +yes\n/)

      const json = await runWm(['--json', 'sandbox', verb, 'sb_1'], { env })
      assert.equal(json.code, 0, json.stderr)
      const sandbox = JSON.parse(json.stdout)
      assert.deepEqual(
        [sandbox.id, sandbox.state, sandbox.onIdle, sandbox.onTimeout, sandbox.autoResume],
        ['sb_1', REACHED[verb], 'stop', 'delete', true],
      )
      assert.equal(sandbox.desiredState, REACHED[verb])
    })
  }

  test('the output is the same as get gives for the same sandbox', async () => {
    const paused = await runWm(['sandbox', 'pause', 'sb_1'], { env })
    const got = await runWm(['sandbox', 'get', 'sb_1'], { env })
    assert.equal(got.code, 0, got.stderr)
    assert.equal(paused.stdout, got.stdout)
  })

  test('an unknown sandbox exits 3, pausing a stopped one exits 5 (conflict)', async () => {
    for (const verb of Object.keys(REACHED)) {
      const missing = await runWm(['sandbox', verb, 'gone'], { env })
      assert.equal(missing.code, 3)
      assert.equal(missing.stdout, '')
      assert.equal(missing.stderr, 'wm: sandbox gone not found (code 2001)\n')
    }
    const refused = await runWm(['sandbox', 'pause', 'stopped'], { env })
    assert.equal(refused.code, 5)
    assert.equal(refused.stderr, 'wm: sandbox stopped is not running (code 2002)\n')
  })

  test('create sends the lifecycle flags in snake_case', async () => {
    const created = await runWm(
      ['sandbox', 'create', '--workspace', 'ws_1', '--on-idle', 'pause', '--on-timeout', 'stop'],
      { env },
    )
    assert.equal(created.code, 0, created.stderr)
    await runWm(['sandbox', 'create', '--workspace', 'ws_1', '--no-auto-resume'], { env })
    assert.deepEqual(
      seen.map((request) => [request.method, request.url, JSON.parse(request.body)]),
      [
        ['POST', '/v1/sandboxes', { workspace_id: 'ws_1', on_idle: 'pause', on_timeout: 'stop' }],
        ['POST', '/v1/sandboxes', { workspace_id: 'ws_1', auto_resume: false }],
      ],
    )
  })
})
