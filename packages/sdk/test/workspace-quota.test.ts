import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceError } from '../src/index.js'
import { useCannedApi, wireWorkspace } from './support/test-server.js'

const api = useCannedApi({ apiKey: 'k-123' })
const MiB = 1024 ** 2

describe('workspace quotas', () => {
  test('create sends quota_bytes; the workspace carries quotaBytes and usedBytes', async () => {
    api.reply = () => [201, wireWorkspace('ws1', { quota_bytes: 20 * MiB, used_bytes: 16384 })]
    const ws = await api.client.workspace.create({ name: 'small', quotaBytes: 20 * MiB })
    assert.equal(ws.quotaBytes, 20 * MiB)
    assert.equal(ws.usedBytes, 16384)
    assert.deepEqual(JSON.parse(api.only().body.toString()), {
      name: 'small',
      quota_bytes: 20 * MiB,
    })
  })

  test('create sends an explicit null (unlimited) and leaves an absent quota out', async () => {
    api.reply = () => [201, wireWorkspace('ws1', { quota_bytes: null, used_bytes: null })]
    await api.client.workspace.create({ quotaBytes: null })
    assert.deepEqual(JSON.parse(api.only().body.toString()), { quota_bytes: null })
    api.server.requests.length = 0
    await api.client.workspace.create({ name: 'x' })
    assert.deepEqual(JSON.parse(api.only().body.toString()), { name: 'x' })
  })

  test('update PATCHes the workspace with quota_bytes', async () => {
    api.reply = () => [200, wireWorkspace('a b', { quota_bytes: 40 * MiB, used_bytes: 0 })]
    const ws = await api.client.workspace.update('a b', { quotaBytes: 40 * MiB })
    assert.equal(ws.quotaBytes, 40 * MiB)
    const request = api.only()
    assert.equal(request.method, 'PATCH')
    assert.equal(request.url.pathname, '/v1/workspaces/a%20b')
    assert.deepEqual(JSON.parse(request.body.toString()), { quota_bytes: 40 * MiB })
  })

  test('a write past the quota is a WorkspaceError with code 5007 and its details', async () => {
    api.reply = () => [
      507,
      {
        error: {
          code: 5007,
          message: 'Disk quota exceeded writing big.bin: workspace ws1 has reached its quota',
          details: { path: 'big.bin', quota_bytes: 20 * MiB },
        },
      },
    ]
    await assert.rejects(api.client.workspace.writeFile('ws1', 'big.bin', 'x'), (error) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.code, 5007)
      assert.equal(error.status, 507)
      assert.match(error.message, /quota/)
      return true
    })
  })
})
