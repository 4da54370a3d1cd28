import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import {
  PtyNotFoundError,
  SandboxNotFoundError,
  WorkspaceClient,
  WorkspaceError,
} from '../src/index.js'
import { startPtyServer, type PtyServerOptions } from './support/pty-server.js'

async function refusedWith(
  options: PtyServerOptions,
  open: (client: WorkspaceClient) => Promise<unknown>,
  clientOptions: { timeoutMs?: number } = {},
): Promise<WorkspaceError> {
  const server = await startPtyServer(options)
  const client = new WorkspaceClient({ apiUrl: server.url, env: {}, ...clientOptions })
  try {
    const error = await open(client).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof WorkspaceError, String(error))
    return error
  } finally {
    client.close()
    await server.close()
  }
}

describe('refused PTY upgrades', () => {
  test('an unknown PTY id is PtyNotFoundError (404, code 4001)', async () => {
    const error = await refusedWith({}, (client) => client.pty.attach('sb1', 'nope'))
    assert.ok(error instanceof PtyNotFoundError)
    assert.deepEqual([error.status, error.code, error.name], [404, 4001, 'PtyNotFoundError'])
  })

  test('a missing sandbox is SandboxNotFoundError; 409 and 401 keep their codes', async () => {
    const refuse = (code: number, status: number) => () => [status, code] as [number, number]
    const missing = await refusedWith({ refuse: refuse(2001, 404) }, (c) => c.pty.connect('sb1'))
    assert.ok(missing instanceof SandboxNotFoundError)
    const stopped = await refusedWith({ refuse: refuse(2002, 409) }, (c) => c.pty.connect('sb1'))
    assert.deepEqual([stopped.status, stopped.code], [409, 2002])
    const denied = await refusedWith({ refuse: refuse(1002, 401) }, (c) => c.pty.connect('sb1'))
    assert.deepEqual([denied.status, denied.code], [401, 1002])
  })

  test('a refusal that is not JSON maps by status', async () => {
    const error = await refusedWith({ refuse: () => [502, 'bad gateway'] }, (c) =>
      c.pty.connect('sb1'),
    )
    assert.deepEqual([error.status, error.code], [502, 1000])
    assert.match(error.message, /HTTP 502.*bad gateway/)
  })

  test('a server that never says ready times out', async () => {
    const error = await refusedWith({ silent: true }, (c) =>
      c.pty.connect('sb1', { timeoutMs: 200 }),
    )
    assert.equal(error.details.reason, 'timeout')
  })

  test('an aborted signal stops opening', async () => {
    const error = await refusedWith({ silent: true }, (c) =>
      c.pty.connect('sb1', { signal: AbortSignal.timeout(100) }),
    )
    assert.equal(error.details.reason, 'aborted')
  })

  test('nothing listening is a network error', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    const client = new WorkspaceClient({ apiUrl: `http://127.0.0.1:${port}`, env: {} })
    await assert.rejects(client.pty.connect('sb1'), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.deepEqual([error.details.reason, error.details.errno], ['network', 'ECONNREFUSED'])
      return true
    })
  })
})
