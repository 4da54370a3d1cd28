import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceClient, type PtyCloseInfo, type PtySession } from '../src/index.js'
import { startPtyServer, type FakePty, type PtyServer } from './support/pty-server.js'

async function withSession(
  run: (ctx: {
    client: WorkspaceClient
    server: PtyServer
    pty: PtySession
    fake: FakePty
    output: () => string
    closes: PtyCloseInfo[]
  }) => Promise<void>,
): Promise<void> {
  const server = await startPtyServer()
  const client = new WorkspaceClient({ apiUrl: server.url, env: {} })
  const chunks: Buffer[] = []
  const closes: PtyCloseInfo[] = []
  try {
    const pty = await client.pty.connect('sb1', {
      onData: (data) => chunks.push(Buffer.from(data)),
      onClose: (info) => closes.push(info),
    })
    const fake = server.ptys.get(pty.ptyId)!
    await run({
      client,
      server,
      pty,
      fake,
      output: () => Buffer.concat(chunks).toString(),
      closes,
    })
  } finally {
    client.close()
    await server.close()
  }
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 5))
  assert.ok(predicate(), 'condition not reached in time')
}

describe('PtySession reconnect', () => {
  test('a dropped connection is reported; reconnect replays what was missed, once', async () => {
    await withSession(async ({ server, pty, fake, output, closes }) => {
      server.emit(fake, 'before ')
      await until(() => output() === 'before ')
      const waiting = pty.wait()
      server.drop(fake)
      await until(() => closes.length === 1)
      assert.equal(closes[0]?.cause, 'drop')
      assert.equal(pty.connected, false)
      await assert.rejects(waiting, /closed before the shell ended/)
      server.emit(fake, 'while away ')
      await pty.reconnect()
      assert.equal(server.upgrades.at(-1)?.url.pathname, '/v1/sandboxes/sb1/pty/pty1')
      assert.equal(server.upgrades.at(-1)?.url.searchParams.get('after'), '7')
      server.emit(fake, 'after')
      await until(() => output() === 'before while away after')
      assert.equal(pty.offset, 'before while away after'.length)
      server.exit(fake, 3)
      assert.equal(await pty.wait(), 3)
    })
  })

  test('close() detaches (the PTY lives on); reconnect() follows it again', async () => {
    await withSession(async ({ server, pty, fake, output, closes }) => {
      server.emit(fake, 'a')
      await until(() => output() === 'a')
      await pty.close()
      assert.deepEqual(
        closes.map((c) => c.cause),
        ['detach'],
      )
      assert.throws(() => pty.write('x'), /not connected/)
      server.emit(fake, 'b')
      await pty.reconnect()
      pty.write('c')
      await until(() => output() === 'abc')
      assert.equal(pty.offset, 3)
    })
  })

  test('reconnect() while connected switches connections without repeating output', async () => {
    await withSession(async ({ server, pty, fake, output, closes }) => {
      server.emit(fake, 'x')
      await until(() => output() === 'x')
      await pty.reconnect()
      server.emit(fake, 'y')
      await until(() => output() === 'xy')
      assert.equal(server.upgrades.at(-1)?.url.searchParams.get('after'), '1')
      assert.deepEqual(closes, [])
      assert.equal(pty.connected, true)
    })
  })

  test('close() during a reconnect detaches once the reconnect lands', async () => {
    await withSession(async ({ server, pty, fake, closes }) => {
      server.drop(fake)
      await until(() => closes.length === 1)
      const reconnecting = pty.reconnect()
      await pty.close()
      await reconnecting
      assert.equal(pty.connected, false)
      assert.deepEqual(
        closes.map((c) => c.cause),
        ['drop', 'detach'],
      )
      await until(() => fake.socket === undefined)
    })
  })

  test('output evicted while detached is counted in droppedBytes', async () => {
    await withSession(async ({ server, pty, fake, output }) => {
      server.emit(fake, '0123')
      await until(() => output() === '0123')
      await pty.close()
      server.emit(fake, '456789')
      fake.keptFrom = 6
      await pty.reconnect()
      await until(() => output() === '01236789')
      assert.deepEqual([pty.droppedBytes, pty.offset], [2, 10])
    })
  })

  test('a replay that starts before offset is trimmed to what was not seen', async () => {
    await withSession(async ({ server, pty, fake, output }) => {
      server.emit(fake, '0123')
      await until(() => output() === '0123')
      await pty.close()
      fake.replayFrom = 1
      await pty.reconnect()
      server.emit(fake, '4')
      await until(() => pty.offset === 5)
      assert.deepEqual([output(), pty.droppedBytes], ['01234', 0])
    })
  })

  test('attach(id, { after }) replays from that offset', async () => {
    await withSession(async ({ client, server, pty, fake }) => {
      server.emit(fake, 'hello world')
      await pty.close()
      const chunks: Buffer[] = []
      const other = await client.pty.attach('sb1', pty.ptyId, {
        after: 6,
        onData: (data) => chunks.push(Buffer.from(data)),
      })
      await until(() => Buffer.concat(chunks).toString() === 'world')
      assert.deepEqual([other.ptyId, other.offset], ['pty1', 11])
      await other.close()
    })
  })
})
