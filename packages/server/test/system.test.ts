import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { SqliteStore } from '../src/store/index.js'
import { tempDir, testApp } from './helpers/app.js'

test('/health answers with the configured version', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_MANAGER_VERSION: '1.2.3', WM_REPLICA_ID: 'one' })
  const response = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), {
    status: 'ok',
    version: '1.2.3',
    replica: { id: 'one', leader: true, leader_id: 'one' },
  })
})

test('/metrics says which replica leads', async (t) => {
  const { app } = await testApp(t, { WM_REPLICA_ID: 'one' })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  assert.match(response.body, /^wm_leader\{replica="one"\} 1$/m)
})

test('/ready reports each check', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ready', checks: { store: 'ok', engine: 'ok' } })
})

test('/ready is 503 code 1006 when the store does not answer', async (t) => {
  class SilentStore extends SqliteStore {
    override async ping(): Promise<void> {
      throw new Error('database is locked')
    }
  }
  const config = loadConfig({ WM_DATA_DIR: await tempDir(t), WM_NFS_ENABLED: 'false' })
  const app = await buildApp(config, {
    store: new SilentStore(':memory:'),
    logger: pino({ level: 'silent' }),
  })
  t.after(() => app.close())
  const response = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(response.statusCode, 503)
  assert.equal(response.json().error.code, 1006)
  assert.deepEqual(response.json().error.details, { store: 'database is locked', engine: 'ok' })
})

test('/metrics serves Prometheus text counting requests by route pattern', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'GET', url: '/v1/workspaces/ws_missing' })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /text\/plain/)
  assert.match(
    response.body,
    /wm_http_requests_total\{method="GET",route="\/v1\/workspaces\/:id",status="404"\} 1/,
  )
  assert.match(response.body, /wm_process_cpu_user_seconds_total/)
})

test('/openapi.json documents every v1 route and /docs serves Swagger UI', async (t) => {
  const { app } = await testApp(t)
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  assert.match(spec.openapi, /^3\./)
  for (const route of [
    '/v1/workspaces',
    '/v1/workspaces/{id}',
    '/v1/workspaces/{id}/files',
    '/v1/workspaces/{id}/files/content',
    '/v1/workspaces/{id}/files/info',
    '/v1/workspaces/{id}/files/mkdir',
    '/v1/workspaces/{id}/files/copy',
    '/v1/workspaces/{id}/files/move',
  ]) {
    assert.ok(spec.paths[route], `missing ${route}`)
  }
  assert.ok(spec.paths['/v1/workspaces/{id}'].get.responses['404'])
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  assert.equal(docs.statusCode, 200)
  assert.match(docs.body, /swagger/i)
})

test('every reply carries a request id, and a sane offered one is kept', async (t) => {
  const { app } = await testApp(t)
  const fresh = await app.inject({ method: 'GET', url: '/health' })
  assert.match(fresh.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/)
  const kept = await app.inject({
    method: 'GET',
    url: '/health',
    headers: { 'x-request-id': 'trace-42' },
  })
  assert.equal(kept.headers['x-request-id'], 'trace-42')
  const refused = await app.inject({
    method: 'GET',
    url: '/health',
    headers: { 'x-request-id': 'bad id\twith tab' },
  })
  assert.notEqual(refused.headers['x-request-id'], 'bad id\twith tab')
})

test('CORS follows CORS_ALLOW_ORIGINS', async (t) => {
  const { app } = await testApp(t, { CORS_ALLOW_ORIGINS: 'https://ok.example' })
  const allowed = await app.inject({
    method: 'GET',
    url: '/health',
    headers: { origin: 'https://ok.example' },
  })
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://ok.example')
  const other = await app.inject({
    method: 'GET',
    url: '/health',
    headers: { origin: 'https://evil.example' },
  })
  assert.equal(other.headers['access-control-allow-origin'], undefined)
  const { app: open } = await testApp(t)
  const any = await open.inject({
    method: 'GET',
    url: '/health',
    headers: { origin: 'https://x.example' },
  })
  assert.equal(any.headers['access-control-allow-origin'], '*')
})
