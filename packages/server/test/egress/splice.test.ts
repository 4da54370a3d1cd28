import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes, randomInt } from 'node:crypto'
import net from 'node:net'
import { once } from 'node:events'
import { connectSpliced } from '../../src/egress/splice.js'

/*
 * The gateway's splice reads every upstream connection into one buffer it
 * reuses: the bytes must come out whole and in order however the two ends
 * go, the sandbox's side reading slower than the upstream sends included
 * (the buffer then waits for its write before it is read into again).
 */

const sha = (data: Buffer | Buffer[]) =>
  createHash('sha256')
    .update(Array.isArray(data) ? Buffer.concat(data) : data)
    .digest('hex')

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as net.AddressInfo).port
}

test('spliced bytes arrive whole and in order, from writes of every size, to a slow reader too', async (t) => {
  const data = randomBytes(24 * 2 ** 20)
  const origin = net.createServer((socket) => {
    socket.on('error', () => socket.destroy())
    // Writes of 1 byte to 3 KB: reads of every size, many smaller than a socket's write buffer.
    let at = 0
    const more = () => {
      while (at < data.length) {
        const end = Math.min(data.length, at + 1 + randomInt(3000))
        const flushed = socket.write(data.subarray(at, end))
        at = end
        if (!flushed) return void socket.once('drain', more)
      }
      socket.end()
    }
    more()
  })
  const gateway = net.createServer((down) => {
    const upstream = connectSpliced(down, originPort, '127.0.0.1')
    down.pipe(upstream)
    upstream.on('error', () => down.destroy())
    down.on('close', () => upstream.destroy())
  })
  const originPort = await listen(origin)
  const gatewayPort = await listen(gateway)
  t.after(() => {
    origin.close()
    gateway.close()
  })

  for (const slow of [false, true]) {
    const client = net.connect(gatewayPort, '127.0.0.1')
    const chunks: Buffer[] = []
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      // A reader that takes a turn of the event loop per chunk: the gateway's writes back up.
      if (slow) {
        client.pause()
        setImmediate(() => client.resume())
      }
    })
    await once(client, 'end')
    const received = Buffer.concat(chunks)
    assert.equal(received.length, data.length, slow ? 'slow reader' : 'fast reader')
    assert.equal(sha(received), sha(data), slow ? 'slow reader' : 'fast reader')
  }
})

test('the sandbox side speaks first and is answered; the upstream ending ends it', async (t) => {
  const origin = net.createServer((socket) => {
    socket.once('data', (request: Buffer) => socket.end(`echo ${request.toString()}`))
  })
  const originPort = await listen(origin)
  const gateway = net.createServer((down) => {
    const upstream = connectSpliced(down, originPort, '127.0.0.1')
    upstream.once('connect', () => down.pipe(upstream))
  })
  const gatewayPort = await listen(gateway)
  t.after(() => {
    origin.close()
    gateway.close()
  })
  const client = net.connect(gatewayPort, '127.0.0.1')
  client.write('hello')
  let answer = ''
  client.on('data', (chunk: Buffer) => (answer += chunk.toString()))
  await once(client, 'end')
  assert.equal(answer, 'echo hello')
})
