import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, test } from 'node:test'
import { runWm, skipUnbuilt } from './support/run-wm.js'

const HEALTH = {
  status: 'ok',
  version: '1.2.3',
  replica: { id: 'wm-b:8080', leader: false, leader_id: 'wm-a:8080' },
}

/** What the fake server answers on `/ready` in the current test. */
type Readiness = 'ready' | 'store-down' | 'unauthenticated'

const READY: Record<Readiness, [number, unknown]> = {
  ready: [200, { status: 'ready', checks: { store: 'ok', engine: 'ok' } }],
  'store-down': [
    503,
    {
      error: {
        code: 1006,
        message: 'a dependency is not answering',
        details: { store: 'timed out after 3000 ms', engine: 'ok' },
      },
    },
  ],
  unauthenticated: [401, { error: { code: 1002, message: 'missing API key' } }],
}

describe('wm server status', { skip: skipUnbuilt }, () => {
  let server: Server
  let env: Record<string, string>
  let readiness: Readiness
  const seen: string[] = []

  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      const [status, body] = req.url === '/health' ? [200, HEALTH] : READY[readiness]
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    env = { WORKSPACE_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
  })
  beforeEach(() => {
    seen.length = 0
    readiness = 'ready'
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  test('prints the version, the replica, who leads and each check; exit 0 when ready', async () => {
    const result = await runWm(['server', 'status'], { env })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(seen, ['GET /health', 'GET /ready'])
    assert.equal(
      result.stdout,
      [
        'version:       1.2.3',
        'replica:       wm-b:8080',
        'leader:        no',
        'leader id:     wm-a:8080',
        'ready:         yes',
        'check store:   ok',
        'check engine:  ok',
        '',
      ].join('\n'),
    )
    assert.equal(result.stderr, '')
  })

  test('--json prints { health, readiness } in camelCase', async () => {
    const result = await runWm(['--json', 'server', 'status'], { env })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {
      health: {
        status: 'ok',
        version: '1.2.3',
        replica: { id: 'wm-b:8080', leader: false, leaderId: 'wm-a:8080' },
      },
      readiness: { ready: true, checks: { store: 'ok', engine: 'ok' } },
    })
  })

  test('not ready: the failing check is shown, in both modes, and the exit code is 6', async () => {
    readiness = 'store-down'
    const human = await runWm(['server', 'status'], { env })
    assert.equal(human.code, 6)
    assert.match(
      human.stdout,
      /\nready: +no\ncheck store: +timed out after 3000 ms\ncheck engine: +ok\n$/,
    )
    assert.equal(human.stderr, '')

    const json = await runWm(['--json', 'server', 'status'], { env })
    assert.equal(json.code, 6)
    assert.deepEqual(JSON.parse(json.stdout).readiness, {
      ready: false,
      checks: { store: 'timed out after 3000 ms', engine: 'ok' },
    })
  })

  test('other errors exit by the usual table: rejected credentials 4, no server 6', async () => {
    readiness = 'unauthenticated'
    const refused = await runWm(['server', 'status'], { env })
    assert.equal(refused.code, 4)
    assert.equal(refused.stdout, '')
    assert.equal(refused.stderr, 'wm: missing API key (code 1002)\n')

    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const nobody = await runWm(['server', 'status'], {
      env: { WORKSPACE_API_URL: `http://127.0.0.1:${port}` },
    })
    assert.equal(nobody.code, 6)
    assert.equal(nobody.stdout, '')
  })
})
