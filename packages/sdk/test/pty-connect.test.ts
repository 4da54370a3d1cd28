import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceClient, type PtyCloseInfo, type WorkspaceError } from '../src/index.js'
import { startPtyServer, type PtyServer, type PtyServerOptions } from './support/pty-server.js'

async function withPtyServer(
  options: PtyServerOptions,
  run: (client: WorkspaceClient, server: PtyServer) => Promise<void>,
  apiKey?: string,
): Promise<void> {
  const server = await startPtyServer(options)
  const client = new WorkspaceClient({ apiUrl: server.url, apiKey, env: {} })
  try {
    await run(client, server)
  } finally {
    client.close()
    await server.close()
  }
}

/** Resolves once `predicate` holds, polling briefly. */
async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 5))
  assert.ok(predicate(), 'condition not reached in time')
}

describe('client.pty.connect', () => {
  test('sends size, shell, env and the API key header; resolves on ready', async () => {
    await withPtyServer(
      {},
      async (client, server) => {
        const pty = await client.pty.connect('sb 1', {
          cols: 120,
          rows: 40,
          shell: '/bin/bash',
          env: { A: '1', B: 'x=y z' },
        })
        const [seen] = server.upgrades
        assert.equal(seen?.url.pathname, '/v1/sandboxes/sb%201/pty')
        assert.equal(seen?.url.searchParams.get('cols'), '120')
        assert.equal(seen?.url.searchParams.get('rows'), '40')
        assert.equal(seen?.url.searchParams.get('shell'), '/bin/bash')
        assert.deepEqual(seen?.url.searchParams.getAll('env'), ['A=1', 'B=x=y z'])
        assert.equal(seen?.headers['x-api-key'], 'secret-key')
        assert.deepEqual(
          [pty.ptyId, pty.offset, pty.connected, pty.exitCode],
          ['pty1', 0, true, undefined],
        )
        await pty.close()
      },
      'secret-key',
    )
  })

  test('leaves unset options out of the query and sends no key when none is set', async () => {
    await withPtyServer({}, async (client, server) => {
      const pty = await client.pty.connect('sb1')
      const [seen] = server.upgrades
      assert.deepEqual([...(seen?.url.searchParams.keys() ?? [])], [])
      assert.equal(seen?.headers['x-api-key'], undefined)
      await pty.close()
    })
  })

  test('write sends bytes; output arrives as bytes and counts toward offset', async () => {
    await withPtyServer({}, async (client, server) => {
      const received: Buffer[] = []
      const pty = await client.pty.connect('sb1', { onData: (d) => received.push(Buffer.from(d)) })
      pty.write('héllo ')
      pty.write(new Uint8Array([0xe2, 0x82, 0xac]))
      await until(() => Buffer.concat(received).length === 10)
      assert.equal(Buffer.concat(received).toString('utf8'), 'héllo €')
      assert.equal(pty.offset, 10)
      assert.equal(Buffer.concat(server.ptys.get('pty1')?.input ?? []).toString(), 'héllo €')
      await pty.close()
    })
  })

  test('resize and kill send control frames; exit reaches onExit, wait() and onClose', async () => {
    await withPtyServer({}, async (client, server) => {
      const events: string[] = []
      let closed: PtyCloseInfo | undefined
      const pty = await client.pty.connect('sb1', {
        onExit: (code) => events.push(`exit ${code}`),
        onClose: (info) => (closed = info),
      })
      pty.resize(100, 30)
      pty.kill()
      assert.equal(await pty.wait(), 137)
      await until(() => closed !== undefined)
      assert.deepEqual(server.ptys.get('pty1')?.controls, [
        { type: 'resize', cols: 100, rows: 30 },
        { type: 'kill' },
      ])
      assert.deepEqual(events, ['exit 137'])
      assert.deepEqual(closed, { cause: 'exit', code: 1000, reason: 'pty exited' })
      assert.deepEqual([pty.exitCode, pty.connected], [137, false])
      assert.throws(() => pty.write('x'), /exit code 137/)
      assert.equal(await pty.wait(), 137)
    })
  })

  test('an error frame from the server reaches onError', async () => {
    await withPtyServer({}, async (client, server) => {
      const errors: WorkspaceError[] = []
      const pty = await client.pty.connect('sb1', { onError: (e) => errors.push(e) })
      server.ptys
        .get('pty1')
        ?.socket?.send(JSON.stringify({ type: 'error', code: 1001, message: 'no' }))
      await until(() => errors.length === 1)
      assert.deepEqual(
        [errors[0]?.code, errors[0]?.message, errors[0]?.name],
        [1001, 'no', 'WorkspaceError'],
      )
      await pty.close()
    })
  })

  test('bad sizes and env names are refused before connecting', async () => {
    await withPtyServer({}, async (client, server) => {
      await assert.rejects(client.pty.connect('sb1', { cols: 0 }), /cols must be/)
      await assert.rejects(client.pty.connect('sb1', { rows: 1.5 }), /rows must be/)
      await assert.rejects(client.pty.connect('sb1', { env: { 'A-B': '1' } }), /env name "A-B"/)
      const pty = await client.pty.connect('sb1')
      assert.throws(
        () => pty.resize(1000, 10),
        (e: unknown) => (e as WorkspaceError).code === 1001,
      )
      assert.equal(server.upgrades.length, 1)
      await pty.close()
    })
  })
})
