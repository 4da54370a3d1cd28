import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SandboxNotFoundError } from '../src/index.js'
import { useCannedApi } from './support/test-server.js'

const api = useCannedApi()

test('proxyUrl mints a proxy token and returns the absolute URL that carries it', async () => {
  const url = '/v1/sandboxes/sb%2F1/proxy/8000/?wm_proxy_token=wm1.a.b'
  api.reply = () => [201, { token: 'wm1.a.b', url, expires_at: '2030-01-01T00:00:00.000Z' }]
  assert.equal(await api.client.sandbox.proxyUrl('sb/1', 8000), `${api.server.url}${url}`)
  const minted = api.only()
  assert.deepEqual(
    [minted.method, minted.url.pathname],
    ['POST', '/v1/sandboxes/sb%2F1/ports/8000/proxy-token'],
  )
  for (const bad of [0, 65536, 2.5]) {
    await assert.rejects(api.client.sandbox.proxyUrl('sb1', bad), RangeError)
  }
  api.server.requests.length = 0
  api.reply = () => [404, 2001]
  await assert.rejects(api.client.sandbox.proxyUrl('gone', 8000), SandboxNotFoundError)
})
