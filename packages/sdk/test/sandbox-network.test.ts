import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SandboxNotFoundError, WorkspaceError } from '../src/index.js'
import { useCannedApi, wireSandbox } from './support/test-server.js'

const api = useCannedApi()

const status = {
  mode: 'allowlist',
  allow: ['pypi.org', '10.0.0.0/8:5432'],
  denied: {
    count: 1,
    recent: [{ host: 'evil.example', port: null, at: '2026-11-24T10:00:02.000Z' }],
  },
}

test('create sends network as {mode, allow}; the reply carries the policy and refusals', async () => {
  api.reply = () => [201, wireSandbox('sb1', { network_mode: 'allowlist', network: status })]
  const sandbox = await api.client.sandbox.create({
    workspaceId: 'ws1',
    network: { mode: 'allowlist', allow: ['pypi.org', '10.0.0.0/8:5432'] },
  })
  assert.deepEqual(JSON.parse(api.only().body.toString()), {
    workspace_id: 'ws1',
    network: { mode: 'allowlist', allow: ['pypi.org', '10.0.0.0/8:5432'] },
  })
  assert.equal(sandbox.networkMode, 'allowlist')
  assert.deepEqual(sandbox.network, status)
})

test('updateNetwork PATCHes the policy; network reads it', async () => {
  api.reply = () => [200, { ...status, mode: 'open', allow: [] }]
  const updated = await api.client.sandbox.updateNetwork('sb/1', { mode: 'open' })
  const patch = api.only()
  assert.deepEqual([patch.method, patch.url.pathname], ['PATCH', '/v1/sandboxes/sb%2F1/network'])
  assert.deepEqual(JSON.parse(patch.body.toString()), { mode: 'open' })
  assert.equal(updated.mode, 'open')
  api.server.requests.length = 0
  api.reply = () => [200, status]
  assert.deepEqual(await api.client.sandbox.network('sb1'), status)
  assert.deepEqual(
    [api.only().method, api.only().url.pathname],
    ['GET', '/v1/sandboxes/sb1/network'],
  )
})

test('refusals map to the error table: 1001 bad entry, 2001 missing', async () => {
  api.reply = () => [
    400,
    {
      error: {
        code: 1001,
        message: 'allow entry "a b" is no valid host name',
        details: { entry: 'a b' },
      },
    },
  ]
  const bad = await api.client.sandbox
    .updateNetwork('sb1', { mode: 'allowlist', allow: ['a b'] })
    .catch((e: unknown) => e)
  assert.ok(bad instanceof WorkspaceError)
  assert.equal(bad.code, 1001)
  api.reply = () => [404, { error: { code: 2001, message: 'sandbox sb9 not found' } }]
  await assert.rejects(api.client.sandbox.network('sb9'), SandboxNotFoundError)
})
