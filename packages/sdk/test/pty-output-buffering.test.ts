import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WorkspaceClient } from '../src/index.js'
import { startPtyServer } from './support/pty-server.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 30))

test('output sent right after ready, before any handler is set, is held and handed over in order', async () => {
  const greeting = ['one ', 'two ', 'three'].map((text) => Buffer.from(text))
  const server = await startPtyServer({ greeting })
  const client = new WorkspaceClient({ apiUrl: server.url, env: {} })
  try {
    const pty = await client.pty.connect('sb1')
    await tick()
    assert.equal(pty.offset, 13)
    const seen: string[] = []
    pty.onData = (data) => seen.push(Buffer.from(data).toString())
    assert.deepEqual(seen, ['one ', 'two ', 'three'])
    server.emit(server.ptys.get('pty1')!, ' four')
    await tick()
    assert.deepEqual(seen, ['one ', 'two ', 'three', ' four'])
    await pty.close()
  } finally {
    client.close()
    await server.close()
  }
})

test('held output past 1 MiB pauses reading; nothing is lost once a handler is set', async () => {
  const server = await startPtyServer()
  const client = new WorkspaceClient({ apiUrl: server.url, env: {} })
  try {
    const pty = await client.pty.connect('sb1')
    const fake = server.ptys.get('pty1')!
    for (let i = 0; i < 40; i++) server.emit(fake, Buffer.alloc(64 * 1024, i))
    for (let i = 0; i < 100 && pty.offset < 1024 * 1024; i++) await tick()
    await tick()
    // Reading paused at the high-water mark: not all 2.5 MiB has been read yet.
    assert.ok(pty.offset >= 1024 * 1024 && pty.offset < 40 * 64 * 1024, `offset ${pty.offset}`)
    let received = 0
    let ordered = true
    pty.onData = (data) => {
      for (const byte of data) {
        if (byte !== Math.floor(received / (64 * 1024))) ordered = false
        received++
      }
    }
    for (let i = 0; i < 100 && received < 40 * 64 * 1024; i++) await tick()
    assert.equal(received, 40 * 64 * 1024)
    assert.ok(ordered)
    assert.equal(pty.offset, received)
    await pty.close()
  } finally {
    client.close()
    await server.close()
  }
})
