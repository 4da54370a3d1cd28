import { test } from 'node:test'
import assert from 'node:assert/strict'
import { proxyEnv } from '../../src/egress/ports.js'

test('a sandbox behind the gateway reaches its own loopback directly, everything else through the proxy', () => {
  const env = proxyEnv('172.30.0.1')
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'])
    assert.equal(env[name], 'http://172.30.0.1:3128', name)
  for (const name of ['NO_PROXY', 'no_proxy'])
    assert.deepEqual(env[name]?.split(',').sort(), ['127.0.0.1', '::1', 'localhost'], name)
})
