import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { WM_MAIN, runWm, skipUnbuilt } from './support/run-wm.js'

/** Each request path chooses the reply, so one server covers every exit code. */
const replies: Record<string, [number, string]> = {
  '/v1/workspaces/auth': [401, '{"error":{"code":1002,"message":"missing API key"}}'],
  '/v1/workspaces/gone': [404, '{"error":{"code":7001,"message":"workspace gone not found"}}'],
  '/v1/workspaces/busy': [409, '{"error":{"code":7002,"message":"workspace busy has sandboxes"}}'],
  '/v1/workspaces/down': [503, '<html>maintenance</html>'],
}

describe('wm as a process: exit codes and error output', { skip: skipUnbuilt }, () => {
  let server: Server
  let env: Record<string, string>

  before(async () => {
    server = createServer((req, res) => {
      const [status, body] = replies[req.url ?? ''] ?? [500, 'unexpected']
      res.writeHead(status, {
        'content-type': body.startsWith('{') ? 'application/json' : 'text/html',
      })
      res.end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    env = { WORKSPACE_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  test('a reader that goes away ends the output quietly (wm --help | head)', async () => {
    const child = spawn(process.execPath, [WM_MAIN, '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Closed before wm writes anything: every write it makes meets a broken pipe.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const [code] = (await once(child, 'close')) as [number | null]
    assert.equal(stderr, '')
    assert.equal(code, 0)
  })

  test('--help documents the exit codes and exits 0', async () => {
    const result = await runWm(['--help'])
    assert.equal(result.code, 0)
    assert.match(
      result.stdout,
      /Exit codes:[\s\S]*3 {2}not found[\s\S]*6 {2}server or network unavailable/,
    )
  })

  test('usage errors exit 2', async () => {
    for (const args of [
      [],
      ['bogus'],
      ['files', 'cat', 'only-one'],
      ['workspace', 'create', '--meta', 'x'],
    ]) {
      const result = await runWm(args, { env })
      assert.equal(result.code, 2, `wm ${args.join(' ')}: ${result.stderr}`)
      assert.notEqual(result.stderr, '')
    }
  })

  test('a refused configuration exits 2 with a clear message', async () => {
    const result = await runWm(['workspace', 'list', '--api-url', 'http://example.com'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^wm: .*WM_ALLOW_INSECURE_HTTP/)
  })

  const cases: [string, number, RegExp][] = [
    ['auth', 4, /^wm: missing API key \(code 1002\)\n$/],
    ['gone', 3, /^wm: workspace gone not found \(code 7001\)\n$/],
    ['busy', 5, /^wm: workspace busy has sandboxes \(code 7002\)\n$/],
    ['down', 6, /^wm: HTTP 503 Service Unavailable: <html>maintenance<\/html> \(code 1006\)\n$/],
  ]
  for (const [id, code, stderr] of cases) {
    test(`a ${id} reply exits ${code}`, async () => {
      const result = await runWm(['workspace', 'get', id], { env })
      assert.equal(result.code, code)
      assert.match(result.stderr, stderr)
      assert.equal(result.stdout, '')
    })
  }

  test('--json adds a JSON error object on stderr', async () => {
    const result = await runWm(['--json', 'workspace', 'rm', 'busy'], { env })
    assert.equal(result.code, 5)
    const [line, json] = result.stderr.trimEnd().split('\n')
    assert.equal(line, 'wm: workspace busy has sandboxes (code 7002)')
    assert.deepEqual(JSON.parse(json ?? ''), {
      error: {
        name: 'WorkspaceError',
        message: 'workspace busy has sandboxes',
        code: 7002,
        status: 409,
        details: {},
        exitCode: 5,
      },
    })
  })

  test('no server listening exits 6', async () => {
    const result = await runWm(['workspace', 'list', '--api-url', 'http://127.0.0.1:1'])
    assert.equal(result.code, 6)
    assert.match(result.stderr, /^wm: GET \/v1\/workspaces failed: .*ECONNREFUSED/)
  })
})
