import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceError } from '../src/index.js'
import { useCannedApi, wireSandbox } from './support/test-server.js'

const api = useCannedApi({ apiKey: 'k-123' })
const MiB = 1024 ** 2

describe('sandbox root filesystem size', () => {
  test('create sends disk_bytes as given; the sandbox carries diskBytes', async () => {
    api.reply = () => [201, wireSandbox('sb1', { disk_bytes: 2048 * MiB })]
    const sandbox = await api.client.sandbox.create({ workspaceId: 'ws1', diskBytes: '2GiB' })
    assert.equal(sandbox.diskBytes, 2048 * MiB)
    assert.deepEqual(JSON.parse(api.only().body.toString()), {
      workspace_id: 'ws1',
      disk_bytes: '2GiB',
    })
  })

  test('bytes go as a number, an absent size is left out, and null reads as unlimited', async () => {
    api.reply = () => [201, wireSandbox('sb1', { disk_bytes: null })]
    await api.client.sandbox.create({ workspaceId: 'ws1', diskBytes: 64 * MiB })
    assert.deepEqual(JSON.parse(api.only().body.toString()), {
      workspace_id: 'ws1',
      disk_bytes: 64 * MiB,
    })
    api.server.requests.length = 0
    const unlimited = await api.client.sandbox.create({ workspaceId: 'ws1' })
    assert.deepEqual(JSON.parse(api.only().body.toString()), { workspace_id: 'ws1' })
    assert.equal(unlimited.diskBytes, null)
  })

  test('a size the server refuses is a WorkspaceError with code 1001 and status 400', async () => {
    const message =
      "disk_bytes cannot be honoured: the Docker engine's storage driver overlay2 cannot limit a sandbox's root filesystem"
    api.reply = () => [400, { error: { code: 1001, message } }]
    await assert.rejects(
      api.client.sandbox.create({ workspaceId: 'ws1', diskBytes: '64MiB' }),
      (error) => {
        assert.ok(error instanceof WorkspaceError)
        assert.equal(error.status, 400)
        assert.equal(error.code, 1001)
        assert.match(error.message, /overlay2/)
        return true
      },
    )
  })
})
