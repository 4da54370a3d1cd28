import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { WorkspaceError, WorkspaceNotFoundError } from '../src/index.js'
import { liveClient, skipLive } from './support/live.js'

describe('live: workspaces', { skip: skipLive }, () => {
  const client = liveClient()
  after(() => client.close())

  test('create, get, list and delete round trip', async () => {
    const created = await client.workspace.create({
      name: 'sdk-live',
      metadata: { owner_name: 'sdk', 'x.y': 'z' },
    })
    assert.match(created.id, /^[A-Za-z0-9_-]{1,128}$/)
    assert.equal(created.name, 'sdk-live')
    assert.deepEqual(created.metadata, { owner_name: 'sdk', 'x.y': 'z' })
    assert.ok(!Number.isNaN(Date.parse(created.createdAt)))
    assert.ok(!Number.isNaN(Date.parse(created.updatedAt)))
    assert.ok('nfsUrl' in created)

    assert.deepEqual(await client.workspace.get(created.id), created)
    const listed = await client.workspace.list()
    assert.deepEqual(
      listed.find((w) => w.id === created.id),
      created,
    )

    await client.workspace.delete(created.id)
    await assert.rejects(client.workspace.get(created.id), (error: unknown) => {
      assert.ok(error instanceof WorkspaceNotFoundError)
      assert.equal(error.code, 7001)
      assert.equal(error.status, 404)
      return true
    })
  })

  test('a workspace with no name or metadata', async () => {
    const created = await client.workspace.create()
    assert.equal(created.name, null)
    await client.workspace.delete(created.id)
  })

  test('deleting a missing workspace is 7001', async () => {
    await assert.rejects(client.workspace.delete('no-such-workspace'), WorkspaceNotFoundError)
  })

  test('a malformed id is a validation error (1001)', async () => {
    await assert.rejects(client.workspace.get('bad id!'), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.code, 1001)
      return true
    })
  })
})
