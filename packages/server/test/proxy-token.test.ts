/** Proxy tokens: opening a sandbox port in a browser tab when the server has API keys. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import websocket from '@fastify/websocket'
import WebSocket from 'ws'
import { portProxyRoutes } from '../src/routes/proxy.js'
import { proxyCookie } from '../src/routes/proxy-token.js'
import type { PortConnector } from '../src/services/port-proxy.js'
import { TokenSigner } from '../src/services/tokens.js'
import { beforeClose } from './helpers/app.js'
import { listen, request } from './helpers/http.js'
import { sandboxApp } from './helpers/sandbox.js'

const SERVERS = new URL('./fixtures/proxy-servers.py', import.meta.url)
const KEY = 'the-key'
const SECRET = 'proxy-token-test-secret'
const keyed = { 'x-api-key': KEY }

/** The request a WebSocket upgrade gets refused with: status and error code. */
function refusedUpgrade(url: string, headers: Record<string, string>) {
  const ws = new WebSocket(url, { headers })
  return new Promise<{ status: number; code: number }>((resolve, reject) => {
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, code: JSON.parse(body).error.code as number }),
      )
    })
  })
}

/** A sandbox (on a keyed server) running the test services on ports 8001 and 8002. */
async function keyedSandbox(app: FastifyInstance, base: string): Promise<string> {
  const inject = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: keyed, ...(payload ? { payload } : {}) })
  const workspace = await inject('POST', '/v1/workspaces', {})
  const created = await inject('POST', '/v1/sandboxes', { workspace_id: workspace.json().id })
  assert.equal(created.statusCode, 201, created.body)
  const sandboxId = created.json().id as string
  beforeClose(app, () => inject('DELETE', `/v1/sandboxes/${sandboxId}?force=true`))
  const script = await fs.readFile(SERVERS, 'utf8')
  for (const cmd of [
    { cmd: 'sh', args: ['-c', 'cat > /tmp/servers.py'], stdin: script },
    { cmd: 'sh', args: ['-c', 'nohup python3 /tmp/servers.py 8001 >/tmp/a.log 2>&1 &'] },
    { cmd: 'sh', args: ['-c', 'nohup python3 /tmp/servers.py 8002 >/tmp/b.log 2>&1 &'] },
  ]) {
    const done = await inject('POST', `/v1/sandboxes/${sandboxId}/processes`, cmd)
    assert.equal(done.statusCode, 200, done.body)
  }
  for (const port of [8001, 8002]) {
    const deadline = Date.now() + 30_000
    for (;;) {
      const reply = await request(base, 'GET', `/v1/sandboxes/${sandboxId}/proxy/${port}/`, {
        headers: keyed,
      })
      if (reply.status !== 502) break
      if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`)
      await sleep(100)
    }
  }
  return sandboxId
}

test('a proxy token opens a sandbox port in a browser on a keyed server', async (t) => {
  const { app } = await sandboxApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_UPLOAD_TOKEN_SECRET: SECRET,
  })
  const base = await listen(app)
  const sandboxId = await keyedSandbox(app, base)
  const prefix = `/v1/sandboxes/${sandboxId}/proxy`
  const mint = (id: string, port: string, headers: Record<string, string> = keyed) =>
    app.inject({ method: 'POST', url: `/v1/sandboxes/${id}/ports/${port}/proxy-token`, headers })
  const minted = await mint(sandboxId, '8001')
  assert.equal(minted.statusCode, 201, minted.body)
  const { token, url, expires_at } = minted.json() as Record<string, string>
  assert.equal(url, `${prefix}/8001/?wm_proxy_token=${encodeURIComponent(token!)}`)
  const life = Date.parse(expires_at!) - Date.now()
  assert.ok(life > 0 && life <= 300_000, expires_at)
  const signer = new TokenSigner(SECRET)
  const cookie = (value: string, more = '') => ({ cookie: `${more}wm_proxy=${value}` })

  await t.test('minting needs the key, a known sandbox and a good port', async () => {
    assert.equal((await mint(sandboxId, '8001', {})).json().error.code, 1002)
    const unknown = await mint('sb_nope', '8001')
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().error.code, 2001)
    for (const port of ['0', '65536', 'abc']) {
      const bad = await mint(sandboxId, port)
      assert.equal(bad.statusCode, 400, port)
      assert.equal(bad.json().error.code, 1001, port)
    }
  })

  await t.test('the token URL redirects without the token and sets the cookie', async () => {
    const reply = await request(base, 'GET', url!)
    assert.equal(reply.status, 303)
    assert.equal(reply.headers.location, `${prefix}/8001/`)
    const [setCookie] = reply.headers['set-cookie'] ?? []
    const match = new RegExp(
      `^wm_proxy=${token!.replace(/\./g, '\\.')}; Path=${prefix}/8001/; Max-Age=(\\d+); HttpOnly; SameSite=Strict$`,
    ).exec(setCookie ?? '')
    assert.ok(match, setCookie)
    assert.ok(Number(match[1]) > 0 && Number(match[1]) <= 300, setCookie)
    // Other query parameters and the sub-path are kept.
    const deep = await request(
      base,
      'GET',
      `${prefix}/8001/a/b?x=1&wm_proxy_token=${encodeURIComponent(token!)}&y=2`,
    )
    assert.equal(deep.status, 303)
    assert.equal(deep.headers.location, `${prefix}/8001/a/b?x=1&y=2`)
  })

  await t.test('the cookie alone then reaches sub-paths; the app never sees it', async () => {
    const reply = await request(base, 'GET', `${prefix}/8001/assets/app.js?v=3`, {
      headers: cookie(token!, 'theme=dark; '),
    })
    assert.equal(reply.status, 200, reply.body.toString())
    const seen = JSON.parse(reply.body.toString()) as { path: string; headers: string[][] }
    assert.equal(seen.path, '/assets/app.js?v=3')
    assert.deepEqual(
      seen.headers.filter(([name]) => name === 'cookie'),
      [['cookie', 'theme=dark']],
    )
    const only = await request(base, 'POST', `${prefix}/8001/x`, { headers: cookie(token!) })
    assert.equal(only.status, 200)
    const onlySeen = JSON.parse(only.body.toString()) as { headers: string[][] }
    assert.equal(
      onlySeen.headers.find(([name]) => name === 'cookie'),
      undefined,
    )
  })

  await t.test('the cookie carries a WebSocket upgrade, which never sees it', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${prefix}/8001/socket?q=1`, {
      headers: cookie(token!, 'a=1; '),
    })
    const hello = await new Promise<{ path: string; headers: string[][] }>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString())))
      ws.once('error', reject)
    })
    ws.close()
    assert.equal(hello.path, '/socket?q=1')
    assert.deepEqual(
      hello.headers.filter(([name]) => name === 'cookie'),
      [['cookie', 'a=1']],
    )
  })

  await t.test('tokens for another port or sandbox, forged or expired are refused', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60
    const [p, body, mac] = token!.split('.')
    const forgedBody = Buffer.from(
      JSON.stringify({ sub: sandboxId, op: 'proxy', path: '8001', exp: exp + 9999 }),
    ).toString('base64url')
    const cases: Array<[string, string, number, number]> = [
      ['other port', signer.sign({ sub: sandboxId, op: 'proxy', path: '8002', exp }), 401, 6001],
      [
        'other sandbox',
        signer.sign({ sub: 'sb_other', op: 'proxy', path: '8001', exp }),
        401,
        6001,
      ],
      ['a PTY token', signer.sign({ sub: sandboxId, op: 'pty', exp }), 401, 6001],
      ['forged', `${p}.${forgedBody}.${mac}`, 401, 6001],
      ['bad signature', `${p}.${body}.${mac!.slice(0, -2)}AA`, 401, 6001],
      ['garbage', 'nonsense', 401, 6001],
      [
        'another key',
        new TokenSigner('x').sign({ sub: sandboxId, op: 'proxy', path: '8001', exp }),
        401,
        6001,
      ],
      [
        'expired',
        signer.sign({ sub: sandboxId, op: 'proxy', path: '8001', exp: exp - 120 }),
        410,
        6002,
      ],
    ]
    for (const [name, bad, status, code] of cases) {
      const query = await request(
        base,
        'GET',
        `${prefix}/8001/?wm_proxy_token=${encodeURIComponent(bad)}`,
      )
      assert.equal(query.status, status, name)
      assert.equal(JSON.parse(query.body.toString()).error.code, code, name)
      assert.equal(query.headers['set-cookie'], undefined, name)
      const viaCookie = await request(base, 'GET', `${prefix}/8001/`, { headers: cookie(bad) })
      assert.equal(viaCookie.status, status, name)
      assert.equal(JSON.parse(viaCookie.body.toString()).error.code, code, name)
      const ws = `${base.replace('http', 'ws')}${prefix}/8001/`
      assert.deepEqual(await refusedUpgrade(ws, cookie(bad)), { status, code }, name)
    }
    // A good token for port 8001 opens nothing else, and nothing but the proxy.
    const other = await request(base, 'GET', `${prefix}/8002/`, { headers: cookie(token!) })
    assert.equal(other.status, 401)
    const api = await request(base, 'GET', `/v1/sandboxes/${sandboxId}`, {
      headers: cookie(token!),
    })
    assert.equal(api.status, 401)
    const tokenQuery = await request(
      base,
      'GET',
      `/v1/sandboxes/${sandboxId}?wm_proxy_token=${encodeURIComponent(token!)}`,
    )
    assert.equal(tokenQuery.status, 401)
    // Without key or token: as before.
    const none = await request(base, 'GET', `${prefix}/8001/`)
    assert.equal(none.status, 401)
    assert.equal(JSON.parse(none.body.toString()).error.code, 1002)
    const ws = `${base.replace('http', 'ws')}${prefix}/8001/`
    assert.deepEqual(await refusedUpgrade(ws, {}), { status: 401, code: 1002 })
  })
})

test('without API keys the proxy is open as before and still drops its cookie', async (t) => {
  const seen: http.IncomingHttpHeaders[] = []
  const service = http.createServer((req, res) => {
    seen.push(req.headers)
    res.end(`ok ${req.url}`)
  })
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
  t.after(() => service.close())
  const servicePort = (service.address() as net.AddressInfo).port
  const app = Fastify()
  await app.register(websocket)
  await app.register(portProxyRoutes, {
    ports: {
      connect: async () => net.connect(servicePort, '127.0.0.1'),
    } as unknown as PortConnector,
    apiKeys: [],
    apiKeyHeader: 'x-api-key',
    tokens: new TokenSigner(SECRET),
  })
  t.after(() => app.close())
  const base = await listen(app)
  const plain = await request(base, 'GET', '/v1/sandboxes/sb1/proxy/80/page?x=1')
  assert.equal(plain.status, 200)
  assert.equal(plain.body.toString(), 'ok /page?x=1')
  const withCookie = await request(base, 'GET', '/v1/sandboxes/sb1/proxy/80/', {
    headers: { cookie: 'wm_proxy=anything; k=v' },
  })
  assert.equal(withCookie.status, 200)
  assert.equal(seen.at(-1)?.cookie, 'k=v')
})

test('the cookie is Secure when the server serves TLS', () => {
  const value = proxyCookie('t', { sandboxId: 'sb1', port: 80, exp: 1100, secure: true }, 1_000_000)
  assert.equal(
    value,
    'wm_proxy=t; Path=/v1/sandboxes/sb1/proxy/80/; Max-Age=100; HttpOnly; SameSite=Strict; Secure',
  )
})
