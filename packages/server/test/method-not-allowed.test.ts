import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { InjectOptions } from 'fastify'
import { testApp } from './helpers/app.js'

type Method = InjectOptions['method']

const SAMPLE_PARAMS: Record<string, string> = { port: '8080', '*': 'x' }

/** `/v1/sandboxes/{id}/ports/{port}` -> a concrete path naming nothing in particular. */
function concrete(path: string): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'sb_none')
}

test('an undeclared method on a known path is 405 code 1008 with Allow', async (t) => {
  const { app } = await testApp(t)
  const cases: Array<[string, string, string]> = [
    ['TRACE', '/health', 'GET, HEAD'],
    ['DELETE', '/v1/workspaces', 'GET, HEAD, POST'],
    ['PUT', '/v1/workspaces/ws_none', 'DELETE, GET, HEAD, PATCH'],
    ['PATCH', '/v1/sandboxes/sb_none/processes?x=1', 'GET, HEAD, POST'],
    // A static segment is a resource of its own, not the PTY "tokens".
    ['TRACE', '/v1/sandboxes/sb_none/pty/tokens', 'POST'],
    // A WebSocket route is a known path too.
    ['DELETE', '/v1/sandboxes/sb_none/pty', 'GET, HEAD'],
  ]
  for (const [method, url, allow] of cases) {
    const response = await app.inject({ method: method as Method, url })
    assert.equal(response.statusCode, 405, `${method} ${url}: ${response.body}`)
    assert.equal(response.headers.allow, allow, `${method} ${url}`)
    assert.equal(response.json().error.code, 1008)
    assert.match(response.json().error.message, new RegExp(`^${method} is not allowed`))
  }
})

test('QUERY without a body is 405, not a complaint about its Content-Type', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'QUERY' as Method, url: '/v1/workspaces' })
  assert.equal(response.statusCode, 405, response.body)
  assert.equal(response.headers.allow, 'GET, HEAD, POST')
})

test('an unknown path stays 404 code 1007 whatever the method', async (t) => {
  const { app } = await testApp(t)
  for (const method of ['GET', 'TRACE', 'DELETE'] as const) {
    const response = await app.inject({ method, url: '/v1/nothing/here' })
    assert.equal(response.statusCode, 404, `${method}: ${response.body}`)
    assert.equal(response.json().error.code, 1007)
    assert.equal(response.headers.allow, undefined)
  }
})

test('a declared method still reaches its route (a 404 there is the resource, not the method)', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'GET', url: '/v1/workspaces/ws_none' })
  assert.equal(response.statusCode, 404)
  assert.equal(response.json().error.code, 7001)
})

test('OPTIONS: a CORS preflight is answered as one; any other OPTIONS is 405 with Allow', async (t) => {
  const { app } = await testApp(t, { CORS_ALLOW_ORIGINS: 'https://app.example' })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/workspaces',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  })
  assert.equal(preflight.statusCode, 204)
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example')

  const plain = await app.inject({ method: 'OPTIONS', url: '/v1/workspaces' })
  assert.equal(plain.statusCode, 405, plain.body)
  assert.equal(plain.headers.allow, 'GET, HEAD, POST')
  assert.equal(plain.json().error.code, 1008)
})

test('a plain OPTIONS to the port proxy reaches the proxy route', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'OPTIONS', url: '/v1/sandboxes/sb_none/proxy/80/x' })
  // The proxy's own answer for a sandbox that does not exist, in the envelope.
  assert.equal(response.statusCode, 404, response.body)
  assert.equal(response.json().error.code, 2001)
})

test('every documented path answers TRACE with 405 and an Allow of its documented methods', async (t) => {
  const { app } = await testApp(t)
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, unknown>>
  }>()
  const implicit = new Set(['HEAD', 'OPTIONS'])
  for (const [path, item] of Object.entries(spec.paths)) {
    const documented = Object.keys(item)
      .map((method) => method.toUpperCase())
      .filter((method) => !implicit.has(method))
      .sort()
    const response = await app.inject({ method: 'TRACE' as Method, url: concrete(path) })
    assert.equal(response.statusCode, 405, `TRACE ${path}: ${response.body}`)
    const allow = String(response.headers.allow)
      .split(', ')
      .filter((method) => !implicit.has(method))
    assert.deepEqual(allow, documented, `TRACE ${path}`)
  }
})

test('GET on the PTY token path is 405 with Allow: POST, not a PTY named "tokens"', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'GET', url: '/v1/sandboxes/sb_1/pty/tokens' })
  assert.equal(response.statusCode, 405)
  assert.equal(response.headers.allow, 'POST')
  assert.equal(response.json().error.code, 1008)
})
