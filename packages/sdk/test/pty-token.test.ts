import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SandboxNotFoundError, WorkspaceClient } from '../src/index.js'
import { replyError, replyJson, startTestServer } from './support/test-server.js'

test('createToken mints a PTY token for the sandbox and converts the reply to camelCase', async () => {
  const server = await startTestServer((req, res) => {
    if (req.url.pathname.includes('missing')) return replyError(res, 404, 2001)
    replyJson(res, 201, { token: 'wm1.abc.def', expires_at: '2026-11-24T10:01:00.000Z' })
  })
  const client = new WorkspaceClient({ apiUrl: server.url, apiKey: 'k', env: {} })
  try {
    const token = await client.pty.createToken('sb 1')
    assert.deepEqual(token, { token: 'wm1.abc.def', expiresAt: '2026-11-24T10:01:00.000Z' })
    const [seen] = server.requests
    assert.deepEqual(
      [seen?.method, seen?.url.pathname],
      ['POST', '/v1/sandboxes/sb%201/pty/tokens'],
    )
    assert.equal(seen?.headers['x-api-key'], 'k')
    await assert.rejects(client.pty.createToken('missing'), SandboxNotFoundError)
  } finally {
    client.close()
    await server.close()
  }
})
