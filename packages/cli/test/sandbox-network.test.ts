import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, test } from 'node:test'
import { runWm, skipUnbuilt } from './support/run-wm.js'

const STATUS = {
  mode: 'allowlist',
  allow: ['a.example.com', '10.0.0.0/8:5432'],
  denied: {
    count: 2,
    recent: [
      { host: 'evil.example', port: 443, at: '2026-11-24T10:00:07.000Z' },
      { host: 'evil.example', port: null, at: '2026-11-24T10:00:06.000Z' },
    ],
  },
}

function wireSandbox() {
  return {
    id: 'sb_1',
    workspace_id: 'ws_1',
    template: 'workspace-test:latest',
    state: 'running',
    created_at: '2026-11-24T10:00:05.123Z',
    updated_at: '2026-11-24T10:00:07.000Z',
    name: null,
    env: null,
    metadata: null,
    timeout: null,
    error_message: null,
    cpu: 1,
    memory: 536870912,
    network_mode: 'allowlist',
    network: STATUS,
    application_kind: null,
    expires_at: null,
  }
}

describe(
  'wm sandbox create --network-mode/--allow, wm sandbox network',
  { skip: skipUnbuilt },
  () => {
    let server: Server
    let env: Record<string, string>
    const seen: { method: string; url: string; body: string }[] = []

    before(async () => {
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
        req.on('end', () => {
          seen.push({ method: req.method ?? '', url: req.url ?? '', body })
          const [status, reply] = req.url?.startsWith('/v1/sandboxes/gone')
            ? [404, { error: { code: 2001, message: 'sandbox gone not found' } }]
            : req.url?.endsWith('/network')
              ? [200, STATUS]
              : [201, wireSandbox()]
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

    test('create sends the policy: --allow entries as network.allow, bridge as network_mode', async () => {
      const runs = [
        ['--network-mode', 'allowlist', '--allow', 'a.example.com', '--allow', '10.0.0.0/8:5432'],
        ['--allow', 'a.example.com'],
        ['--network-mode', 'open'],
        ['--network', 'bridge'],
      ]
      for (const flags of runs) {
        const created = await runWm(['sandbox', 'create', '--workspace', 'ws_1', ...flags], { env })
        assert.equal(created.code, 0, created.stderr)
        assert.equal(created.stdout, 'sb_1\n')
      }
      assert.deepEqual(
        seen.map((request) => JSON.parse(request.body)),
        [
          {
            workspace_id: 'ws_1',
            network: { mode: 'allowlist', allow: ['a.example.com', '10.0.0.0/8:5432'] },
          },
          { workspace_id: 'ws_1', network: { mode: 'allowlist', allow: ['a.example.com'] } },
          { workspace_id: 'ws_1', network: { mode: 'open' } },
          { workspace_id: 'ws_1', network_mode: 'bridge' },
        ],
      )
      const refused = await runWm(
        ['sandbox', 'create', '--workspace', 'ws_1', '--network-mode', 'wide'],
        { env },
      )
      assert.notEqual(refused.code, 0)
    })

    test('network shows the policy and refusals; with --mode or --allow it PATCHes', async () => {
      const shown = await runWm(['sandbox', 'network', 'sb_1'], { env })
      assert.equal(shown.code, 0, shown.stderr)
      assert.equal(
        shown.stdout,
        'mode:    allowlist\nallow:   a.example.com, 10.0.0.0/8:5432\ndenied:  2\n' +
          '  2026-11-24 10:00:07 UTC  evil.example:443\n  2026-11-24 10:00:06 UTC  evil.example (lookup)\n',
      )
      await runWm(['sandbox', 'network', 'sb_1', '--mode', 'open'], { env })
      await runWm(['sandbox', 'network', 'sb_1', '--allow', 'b.example.com'], { env })
      const json = await runWm(['--json', 'sandbox', 'network', 'sb_1'], { env })
      assert.deepEqual(JSON.parse(json.stdout), STATUS)
      assert.deepEqual(
        seen.map((request) => [
          request.method,
          request.url,
          request.body && JSON.parse(request.body),
        ]),
        [
          ['GET', '/v1/sandboxes/sb_1/network', ''],
          ['PATCH', '/v1/sandboxes/sb_1/network', { mode: 'open' }],
          ['PATCH', '/v1/sandboxes/sb_1/network', { mode: 'allowlist', allow: ['b.example.com'] }],
          ['GET', '/v1/sandboxes/sb_1/network', ''],
        ],
      )
      const missing = await runWm(['sandbox', 'network', 'gone'], { env })
      assert.deepEqual(
        [missing.code, missing.stderr],
        [3, 'wm: sandbox gone not found (code 2001)\n'],
      )
    })

    test('get shows the allow list and how many were refused', async () => {
      const got = await runWm(['sandbox', 'get', 'sb_1'], { env })
      assert.match(
        got.stdout,
        /\nnetwork: +allowlist\nallow: +a\.example\.com, 10\.0\.0\.0\/8:5432\ndenied: +2\n/,
      )
    })
  },
)
