import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import Fastify from 'fastify'
import { registerAuth } from '../src/http/auth.js'
import { registerErrorHandling } from '../src/http/error-handler.js'
import { DASHBOARD_CSP, dashboardRoutes } from '../src/routes/dashboard.js'
import { testApp } from './helpers/app.js'

const KEY = 'dashboard-key'
const ASSET = 'assets/index-AbC123.js'

/** The /ui routes alone, behind the same auth and error handling as the real app. */
async function uiApp(t: TestContext, dir: string) {
  const app = Fastify()
  registerErrorHandling(app)
  registerAuth(app, [KEY], 'x-api-key')
  app.get('/v1/workspaces', async () => ({ workspaces: [] }))
  await app.register(dashboardRoutes, { dir, auth: { apiKeys: [KEY], header: 'x-api-key' } })
  t.after(() => app.close())
  return app
}

/** A built dashboard: index.html and one hashed asset. */
function builtDashboard(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-ui-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'assets'))
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>WM</title>')
  fs.writeFileSync(path.join(dir, ASSET), 'console.log(1)')
  return dir
}

test('without a build /ui is 404 code 1007 in JSON, never 401 or 500', async (t) => {
  const app = await uiApp(t, path.join(os.tmpdir(), 'wm-no-such-dashboard'))
  for (const url of ['/ui', '/ui/', '/ui/sandboxes/sb_1']) {
    const response = await app.inject({ method: 'GET', url })
    assert.equal(response.statusCode, 404, url)
    assert.match(response.headers['content-type'] as string, /application\/json/)
    assert.equal(response.json().error.code, 1007)
    assert.match(response.json().error.message, /not built/)
  }
})

test('/ui serves index.html without a key, revalidated, with the CSP', async (t) => {
  const app = await uiApp(t, builtDashboard(t))
  for (const url of ['/ui', '/ui/', '/ui/workspaces/ws_1?path=a', '/ui/sandboxes']) {
    const response = await app.inject({ method: 'GET', url })
    assert.equal(response.statusCode, 200, url)
    assert.match(response.headers['content-type'] as string, /text\/html/)
    assert.equal(response.headers['cache-control'], 'no-cache')
    assert.equal(response.headers['content-security-policy'], DASHBOARD_CSP)
    assert.match(response.body, /<title>WM<\/title>/)
  }
  assert.match(DASHBOARD_CSP, /default-src 'self'/)
  assert.match(DASHBOARD_CSP, /connect-src 'self' ws: wss:/)
})

test('hashed assets are cached for good; a missing one is 404, not the page', async (t) => {
  const app = await uiApp(t, builtDashboard(t))
  const asset = await app.inject({ method: 'GET', url: `/ui/${ASSET}` })
  assert.equal(asset.statusCode, 200)
  assert.match(asset.headers['content-type'] as string, /javascript/)
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable')
  assert.equal(asset.body, 'console.log(1)')
  const missing = await app.inject({ method: 'GET', url: '/ui/assets/index-gone.js' })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().error.code, 1007)
})

test('paths out of the build are not served', async (t) => {
  const dir = builtDashboard(t)
  fs.writeFileSync(path.join(path.dirname(dir), 'wm-ui-secret.txt'), 'secret')
  t.after(() => fs.rmSync(path.join(path.dirname(dir), 'wm-ui-secret.txt'), { force: true }))
  const app = await uiApp(t, dir)
  for (const url of ['/ui/..%2fwm-ui-secret.txt', '/ui/%2e%2e/wm-ui-secret.txt']) {
    const response = await app.inject({ method: 'GET', url })
    assert.doesNotMatch(response.body, /secret/, url)
  }
})

test('/ui/config.json says whether a key is needed; the API still asks for one', async (t) => {
  const app = await uiApp(t, builtDashboard(t))
  const config = await app.inject({ method: 'GET', url: '/ui/config.json' })
  assert.equal(config.statusCode, 200)
  assert.deepEqual(config.json(), { auth: true, api_key_header: 'x-api-key' })
  assert.equal((await app.inject({ method: 'GET', url: '/v1/workspaces' })).statusCode, 401)
})

test('the app serves /ui/config.json without a key and keeps /ui out of OpenAPI', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY, WORKSPACE_API_KEY_HEADER: 'X-Token' })
  const config = await app.inject({ method: 'GET', url: '/ui/config.json' })
  assert.equal(config.statusCode, 200)
  assert.deepEqual(config.json(), { auth: true, api_key_header: 'x-token' })
  const page = await app.inject({ method: 'GET', url: '/ui/' })
  assert.notEqual(page.statusCode, 401)
  const openapi = await app.inject({
    method: 'GET',
    url: '/openapi.json',
    headers: { 'x-token': KEY },
  })
  assert.deepEqual(
    Object.keys(openapi.json().paths).filter((name) => name.startsWith('/ui')),
    [],
  )
  const { app: open } = await testApp(t)
  const openConfig = await open.inject({ method: 'GET', url: '/ui/config.json' })
  assert.equal(openConfig.json().auth, false)
})
