import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, test } from 'node:test'
import { runWm, skipUnbuilt } from './support/run-wm.js'

describe('wm sandbox port-url', { skip: skipUnbuilt }, () => {
  let server: Server
  let env: Record<string, string>
  let base = ''
  const seen: { method: string; url: string; key: string | undefined }[] = []

  before(async () => {
    server = createServer((req, res) => {
      const key = req.headers['x-api-key']
      seen.push({ method: req.method ?? '', url: req.url ?? '', key: key as string | undefined })
      const match = /^\/v1\/sandboxes\/([^/]+)\/ports\/(\d+)\/proxy-token$/.exec(req.url ?? '')
      const [status, reply] =
        match?.[1] === 'gone'
          ? [404, { error: { code: 2001, message: 'sandbox gone not found' } }]
          : [
              201,
              {
                token: 'wm1.a.b',
                url: `/v1/sandboxes/${match?.[1]}/proxy/${match?.[2]}/?wm_proxy_token=wm1.a.b`,
                expires_at: '2030-01-01T00:00:00.000Z',
              },
            ]
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(reply))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    env = { WORKSPACE_API_URL: base, WORKSPACE_API_KEY: 'k-1' }
  })
  beforeEach(() => {
    seen.length = 0
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  test('prints the absolute URL with the proxy token', async () => {
    const human = await runWm(['sandbox', 'port-url', 'sb_1', '8000'], { env })
    assert.equal(human.code, 0, human.stderr)
    assert.equal(human.stdout, `${base}/v1/sandboxes/sb_1/proxy/8000/?wm_proxy_token=wm1.a.b\n`)
    assert.deepEqual(seen, [
      { method: 'POST', url: '/v1/sandboxes/sb_1/ports/8000/proxy-token', key: 'k-1' },
    ])
    const json = await runWm(['--json', 'sandbox', 'port-url', 'sb_1', '8000'], { env })
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(JSON.parse(json.stdout), {
      url: `${base}/v1/sandboxes/sb_1/proxy/8000/?wm_proxy_token=wm1.a.b`,
    })
  })

  test('a bad port is a usage error; an unknown sandbox exits 3', async () => {
    for (const port of ['0', '65536', 'http', '1.5']) {
      const bad = await runWm(['sandbox', 'port-url', 'sb_1', port], { env })
      assert.equal(bad.code, 2, port)
      assert.match(bad.stderr, /expected a port from 1 to 65535/, port)
    }
    assert.deepEqual(seen, [])
    const missing = await runWm(['sandbox', 'port-url', 'gone', '80'], { env })
    assert.equal(missing.code, 3)
    assert.equal(missing.stderr, 'wm: sandbox gone not found (code 2001)\n')
  })
})
