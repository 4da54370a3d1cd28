import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { loadConfig } from '../src/config/index.js'
import { createRuntime } from '../src/runtime/index.js'
import { dockerTcpHost } from '../src/routes/ports.js'
import { beforeClose, tempDir } from './helpers/app.js'
import { createSandbox, sandboxApp } from './helpers/sandbox.js'

/**
 * An app whose hints see `env`, with sandboxes on the local engine whatever
 * DOCKER_HOST says there (the hint only reads the variable).
 */
async function hintApp(t: TestContext, env: Record<string, string> = {}) {
  const runtimeConfig = loadConfig({ WM_DATA_DIR: await tempDir(t) })
  const runtime = createRuntime(runtimeConfig, pino({ level: 'silent' }))
  const { app } = await sandboxApp(t, env, { runtime })
  const { sandboxId } = await createSandbox(t, app)
  return { app, sandboxId }
}

function hint(app: FastifyInstance, sandboxId: string, port: number | string, host?: string) {
  return app.inject({
    method: 'GET',
    url: `/v1/sandboxes/${sandboxId}/ports/${port}`,
    headers: host === undefined ? {} : { host },
  })
}

test('dockerTcpHost reads the host of tcp:// DOCKER_HOST values only', () => {
  assert.equal(dockerTcpHost('tcp://10.1.2.3:2376'), '10.1.2.3')
  assert.equal(dockerTcpHost('tcp://docker.example'), 'docker.example')
  assert.equal(dockerTcpHost('tcp://[fd00::5]:2375'), '[fd00::5]')
  assert.equal(dockerTcpHost('unix:///var/run/docker.sock'), undefined)
  assert.equal(dockerTcpHost('ssh://me@build-box'), undefined)
  assert.equal(dockerTcpHost(null), undefined)
})

test('without WORKSPACE_PORT_PROXY_HOST or a tcp DOCKER_HOST the hint names the request host', async (t) => {
  const { app, sandboxId } = await hintApp(t, { DOCKER_HOST: 'unix:///var/run/docker.sock' })
  const response = await hint(app, sandboxId, 8080, 'wm.internal:9443')
  assert.equal(response.statusCode, 200, response.body)
  assert.deepEqual(response.json(), {
    host: 'wm.internal',
    port: 8080,
    url: `http://wm.internal:9443/v1/sandboxes/${sandboxId}/proxy/8080/`,
  })
  const v6 = await hint(app, sandboxId, 1, '[::1]:8080')
  assert.deepEqual(v6.json(), {
    host: '[::1]',
    port: 1,
    url: `http://[::1]:8080/v1/sandboxes/${sandboxId}/proxy/1/`,
  })
  // A Host header that is not a host is not echoed into the URL.
  const odd = await hint(app, sandboxId, 65535, 'evil.example/x?y')
  assert.equal(odd.statusCode, 200)
  assert.deepEqual(odd.json(), {
    host: '127.0.0.1',
    port: 65535,
    url: `http://127.0.0.1:8080/v1/sandboxes/${sandboxId}/proxy/65535/`,
  })
})

test('WORKSPACE_PORT_PROXY_HOST names the host, ahead of DOCKER_HOST; WORKSPACE_PUBLIC_BASE_URL the URL', async (t) => {
  const { app, sandboxId } = await hintApp(t, {
    WORKSPACE_PORT_PROXY_HOST: 'ports.example.com',
    DOCKER_HOST: 'tcp://docker.example:2376',
    WORKSPACE_PUBLIC_BASE_URL: 'https://wm.example.com/',
  })
  const response = await hint(app, sandboxId, 3000, 'wm.internal:9443')
  assert.deepEqual(response.json(), {
    host: 'ports.example.com',
    port: 3000,
    url: `https://wm.example.com/v1/sandboxes/${sandboxId}/proxy/3000/`,
  })
})

test('a tcp:// DOCKER_HOST names the host when WORKSPACE_PORT_PROXY_HOST is unset', async (t) => {
  const { app, sandboxId } = await hintApp(t, { DOCKER_HOST: 'tcp://10.20.30.40:2375' })
  const response = await hint(app, sandboxId, 5432, 'wm.internal:9443')
  assert.deepEqual(response.json(), {
    host: '10.20.30.40',
    port: 5432,
    url: `http://wm.internal:9443/v1/sandboxes/${sandboxId}/proxy/5432/`,
  })
})

test('a port outside 1-65535 is 400 1001; an unknown sandbox 404 2001; the API key is required', async (t) => {
  const { app } = await sandboxApp(t, { WORKSPACE_API_KEY: 'k' })
  const workspace = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: { 'x-api-key': 'k' },
    payload: {},
  })
  const created = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    headers: { 'x-api-key': 'k' },
    payload: { workspace_id: workspace.json().id },
  })
  assert.equal(created.statusCode, 201, created.body)
  const sandboxId = created.json().id
  beforeClose(app, () =>
    app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${sandboxId}?force=true`,
      headers: { 'x-api-key': 'k' },
    }),
  )
  const get = (url: string, headers: Record<string, string> = { 'x-api-key': 'k' }) =>
    app.inject({ method: 'GET', url, headers })
  for (const port of ['0', '65536', '99999', '-1', 'abc', '080', '1.5', '123456']) {
    const response = await get(`/v1/sandboxes/${sandboxId}/ports/${port}`)
    assert.equal(response.statusCode, 400, port)
    assert.equal(response.json().error.code, 1001, port)
  }
  assert.equal((await get(`/v1/sandboxes/${sandboxId}/ports/1`)).statusCode, 200)
  const missing = await get('/v1/sandboxes/sb_nope/ports/80')
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().error.code, 2001)
  const noKey = await get(`/v1/sandboxes/${sandboxId}/ports/80`, {})
  assert.equal(noKey.statusCode, 401)
  assert.equal(noKey.json().error.code, 1002)
})
