import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceError } from '../src/index.js'
import { useCannedApi } from './support/test-server.js'

const api = useCannedApi({ apiKey: 'k-123' })

const HEALTH = {
  status: 'ok',
  version: '1.2.3',
  replica: { id: 'wm-b:8080', leader: false, leader_id: 'wm-a:8080' },
}

/** The server's 503 when a dependency of `/ready` does not answer. */
function notReady(details: Record<string, unknown>) {
  return { error: { code: 1006, message: 'a dependency is not answering', details } }
}

describe('client.server', () => {
  test('health asks GET /health and camelCases the replica', async () => {
    api.reply = () => [200, HEALTH]
    assert.deepEqual(await api.client.server.health(), {
      status: 'ok',
      version: '1.2.3',
      replica: { id: 'wm-b:8080', leader: false, leaderId: 'wm-a:8080' },
    })
    const request = api.only()
    assert.equal(request.method, 'GET')
    assert.equal(request.url.pathname, '/health')
    assert.equal(request.headers['x-api-key'], 'k-123')
  })

  test('health keeps a null leader id (no replica has led yet)', async () => {
    api.reply = () => [200, { ...HEALTH, replica: { id: 'a', leader: false, leader_id: null } }]
    assert.deepEqual((await api.client.server.health()).replica, {
      id: 'a',
      leader: false,
      leaderId: null,
    })
  })

  test('ready: a 200 is ready with its checks, check names untouched', async () => {
    api.reply = () => [
      200,
      { status: 'ready', checks: { store: 'ok', engine: 'ok', nfs_server: 'ok' } },
    ]
    assert.deepEqual(await api.client.server.ready(), {
      ready: true,
      checks: { store: 'ok', engine: 'ok', nfs_server: 'ok' },
    })
    assert.equal(api.only().url.pathname, '/ready')
  })

  test('ready: a 503 with code 1006 is not ready, with the checks from the details', async () => {
    api.reply = () => [503, notReady({ store: 'timed out after 3000 ms', engine: 'ok' })]
    assert.deepEqual(await api.client.server.ready(), {
      ready: false,
      checks: { store: 'timed out after 3000 ms', engine: 'ok' },
    })
  })

  test('ready: a bare 503 (a proxy with no replica behind it) is not ready, with no checks', async () => {
    api.reply = (request) => {
      assert.equal(request.url.pathname, '/ready')
      return [503, 'no healthy upstream']
    }
    assert.deepEqual(await api.client.server.ready(), { ready: false, checks: {} })
  })

  test('ready: any other error is thrown', async () => {
    api.reply = () => [401, 1002]
    await assert.rejects(api.client.server.ready(), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      return error.code === 1002 && error.status === 401
    })
    api.reply = () => [500, 1000]
    await assert.rejects(api.client.server.ready(), { code: 1000, status: 500 })
    // 1006 under another status is a failure of the call, not an answer about readiness.
    api.reply = () => [502, notReady({ store: 'down' })]
    await assert.rejects(api.client.server.ready(), { code: 1006, status: 502 })
  })

  test('health errors are thrown as usual', async () => {
    api.reply = () => [503, notReady({ store: 'down' })]
    await assert.rejects(api.client.server.health(), { code: 1006, status: 503 })
  })
})
