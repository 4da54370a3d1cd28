import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { liveClient, skipLive } from './support/live.js'

describe('live: server', { skip: skipLive }, () => {
  const client = liveClient()
  after(() => client.close())

  test('health names the version and the answering replica', async () => {
    const health = await client.server.health()
    assert.equal(health.status, 'ok')
    assert.match(health.version, /^\d+\.\d+\.\d+/)
    assert.deepEqual(Object.keys(health.replica).sort(), ['id', 'leader', 'leaderId'])
    assert.ok(health.replica.id.length > 0)
    assert.equal(typeof health.replica.leader, 'boolean')
    // The leader writes its own id into the store as it takes the lease.
    if (health.replica.leader) assert.equal(health.replica.leaderId, health.replica.id)
  })

  test('ready: a running server is ready, its store and engine answering', async () => {
    const readiness = await client.server.ready()
    assert.equal(readiness.ready, true, JSON.stringify(readiness.checks))
    assert.equal(readiness.checks.store, 'ok')
    assert.equal(readiness.checks.engine, 'ok')
  })
})
