import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { listen, request } from './helpers/http.js'
import { createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

const SERVERS = new URL('./fixtures/proxy-servers.py', import.meta.url)

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** Starts a command in the background inside the sandbox. */
async function background(app: FastifyInstance, sandboxId: string, command: string) {
  const started = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', `nohup ${command} >/tmp/bg.log 2>&1 &`],
  })
  assert.equal(started.status, 200, JSON.stringify(started.json))
}

/** Waits until something answers on `port` in the sandbox (the proxy stops saying 502). */
async function waitListening(base: string, sandboxId: string, port: number): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const reply = await request(base, 'GET', `/v1/sandboxes/${sandboxId}/proxy/${port}/`)
    if (reply.status !== 502) return
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}: ${reply.body}`)
    await sleep(100)
  }
}

/** Streams `size` bytes of `data` in 64 KiB pieces, without a Content-Length. */
function streamOf(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += 65536) yield data.subarray(i, i + 65536)
    })(),
  )
}

test('the proxy reaches services inside a sandbox with network none', async (t) => {
  const { app, config } = await sandboxApp(t)
  const { sandboxId, sandbox } = await createSandbox(t, app)
  const base = await listen(app)
  const prefix = `/v1/sandboxes/${sandboxId}/proxy`

  // The sandbox has no network but loopback.
  assert.equal(sandbox.network_mode, 'none')
  const info = await docker
    .getContainer(`${config.sandboxDefaults.containerPrefix}${sandboxId}`)
    .inspect()
  assert.equal(info.HostConfig.NetworkMode, 'none')
  const links = await run(app, sandboxId, { cmd: 'ls', args: ['/sys/class/net'] })
  assert.equal(links.json.stdout, 'lo\n')

  // A file server (python's http.server) and the test services.
  const script = await fs.readFile(SERVERS, 'utf8')
  const written = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'cat > /tmp/servers.py'],
    stdin: script,
  })
  assert.equal(written.json.exit_code, 0)
  const made = await run(app, sandboxId, {
    cmd: 'sh',
    args: [
      '-c',
      'mkdir -p /tmp/www && head -c 3000000 /dev/urandom > /tmp/www/blob.bin && sha256sum /tmp/www/blob.bin',
    ],
  })
  const blobSha = String(made.json.stdout).split(' ')[0]
  await background(
    app,
    sandboxId,
    'python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp/www',
  )
  await background(app, sandboxId, 'python3 /tmp/servers.py 8001')
  await waitListening(base, sandboxId, 8000)
  await waitListening(base, sandboxId, 8001)

  await t.test('GET a file byte for byte', async () => {
    const reply = await request(base, 'GET', `${prefix}/8000/blob.bin`)
    assert.equal(reply.status, 200)
    assert.equal(reply.body.length, 3000000)
    assert.equal(sha256(reply.body), blobSha)
    assert.equal(reply.headers['content-length'], '3000000')
    const listing = await request(base, 'GET', `${prefix}/8000/`)
    assert.match(listing.body.toString(), /blob\.bin/)
    const missing = await request(base, 'GET', `${prefix}/8000/nope.txt`)
    assert.equal(missing.status, 404) // the service's own 404, passed on
  })

  await t.test('method, path, query and headers are forwarded; credentials are not', async () => {
    const reply = await request(base, 'PUT', `${prefix}/8001/some/where%20x?a=1&b=%2F`, {
      headers: {
        'x-api-key': 'secret-value',
        'x-custom': 'kept',
        'x-forwarded-for': '203.0.113.9',
        'content-type': 'text/plain',
        connection: 'keep-alive, x-hop',
        'x-hop': 'dropped',
      },
      body: Buffer.from('hello'),
    })
    assert.equal(reply.status, 200)
    const seen = JSON.parse(reply.body.toString()) as {
      method: string
      path: string
      headers: Array<[string, string]>
      body_len: number
    }
    assert.equal(seen.method, 'PUT')
    assert.equal(seen.path, '/some/where%20x?a=1&b=%2F')
    assert.equal(seen.body_len, 5)
    const headers = new Map(seen.headers)
    assert.equal(headers.get('x-custom'), 'kept')
    assert.equal(headers.get('x-api-key'), undefined)
    assert.equal(headers.get('x-hop'), undefined)
    assert.equal(headers.get('x-forwarded-for'), '203.0.113.9, 127.0.0.1')
    assert.equal(headers.get('x-forwarded-proto'), 'http')
    assert.equal(headers.get('x-forwarded-host'), new URL(base).host)
    assert.equal(headers.get('x-forwarded-prefix'), `${prefix}/8001`)
    assert.equal(headers.get('host'), new URL(base).host)
    // Repeated response headers survive; the server's request id is kept.
    assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2'])
    assert.ok(reply.headers['x-request-id'])
  })

  await t.test('statuses, HEAD and DELETE pass through', async () => {
    const teapot = await request(base, 'POST', `${prefix}/8001/x`, {
      headers: { 'x-want-status': '418' },
    })
    assert.equal(teapot.status, 418)
    const head = await request(base, 'HEAD', `${prefix}/8000/blob.bin`)
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-length'], '3000000')
    assert.equal(head.body.length, 0)
    const del = await request(base, 'DELETE', `${prefix}/8001/thing`)
    assert.equal(JSON.parse(del.body.toString()).method, 'DELETE')
    const empty = await request(base, 'POST', `${prefix}/8001/x`, {
      headers: { 'x-want-status': '204' },
    })
    assert.equal(empty.status, 204)
  })

  await t.test('a 5 MB body streams both ways (chunked and with a length)', async () => {
    const data = randomBytes(5 * 1024 * 1024)
    const chunked = await request(base, 'POST', `${prefix}/8001/echo`, { body: streamOf(data) })
    assert.equal(chunked.status, 200)
    assert.equal(chunked.body.length, data.length)
    assert.equal(sha256(chunked.body), sha256(data))
    const info = await request(base, 'POST', `${prefix}/8001/info`, {
      headers: { 'content-length': String(data.length) },
      body: streamOf(data),
    })
    const seen = JSON.parse(info.body.toString()) as { body_len: number; body_sha256: string }
    assert.equal(seen.body_len, data.length)
    assert.equal(seen.body_sha256, sha256(data))
  })

  await t.test('responses are streamed, not buffered', async () => {
    const received = new Promise<string>((resolve, reject) => {
      http
        .get(`${base}${prefix}/8001/slow`, (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            text += chunk
            // The second line only comes once the first has been seen here.
            if (text === 'first\n') void request(base, 'GET', `${prefix}/8001/release`)
          })
          res.on('end', () => resolve(text))
        })
        .on('error', reject)
    })
    assert.equal(await received, 'first\nsecond\n')
  })

  await t.test('the path without a trailing slash redirects', async () => {
    const reply = await request(base, 'GET', `${prefix}/8000?x=1`)
    assert.equal(reply.status, 308)
    assert.equal(reply.headers.location, `${prefix}/8000/?x=1`)
    // Not for a sandbox that is not there: that is 404 at once.
    const gone = await request(base, 'GET', '/v1/sandboxes/sb_nosuchsandbox/proxy/8000')
    assert.equal(gone.status, 404)
    assert.equal(JSON.parse(gone.body.toString()).error.code, 2001)
  })

  await t.test('a WebSocket echoes through the proxy', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${prefix}/8001/socket?q=2`, {
      headers: { 'x-api-key': 'not-for-the-app' },
    })
    const messages: Array<{ data: Buffer; binary: boolean }> = []
    let wake: (() => void) | undefined
    ws.on('message', (data: Buffer, binary: boolean) => {
      messages.push({ data, binary })
      wake?.()
    })
    const next = async () => {
      while (!messages.length) await new Promise<void>((resolve) => (wake = resolve))
      return messages.shift()!
    }
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    const hello = JSON.parse((await next()).data.toString()) as {
      path: string
      headers: Array<[string, string]>
    }
    assert.equal(hello.path, '/socket?q=2')
    const headers = new Map(hello.headers)
    assert.equal(headers.get('x-api-key'), undefined)
    assert.equal(headers.get('x-forwarded-prefix'), `${prefix}/8001`)
    assert.equal(headers.get('upgrade'), 'websocket')

    ws.send('hi there')
    const text = await next()
    assert.equal(text.binary, false)
    assert.equal(text.data.toString(), 'hi there')
    const blob = randomBytes(100_000)
    ws.send(blob)
    const echoed = await next()
    assert.equal(echoed.binary, true)
    assert.equal(sha256(echoed.data), sha256(blob))
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve))
    ws.ping('p1')
    assert.equal((await pong).toString(), 'p1')
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    ws.close(1000)
    assert.equal(await closed, 1000)
  })

  await t.test('a raw upgrade passes bytes both ways with half-close', async () => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    const ended = new Promise<void>((resolve, reject) => {
      socket.on('end', resolve)
      socket.on('error', reject)
    })
    socket.write(
      `GET ${prefix}/8001/raw HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: raw-echo\r\n\r\n`,
    )
    const data = randomBytes(1_000_000)
    socket.write(data)
    socket.end() // half-close: the service answers after our EOF
    await ended
    socket.destroy()
    const all = Buffer.concat(received)
    const headEnd = all.indexOf('\r\n\r\n')
    assert.match(all.subarray(0, headEnd).toString(), /^HTTP\/1\.1 101 /)
    const rest = all.subarray(headEnd + 4)
    assert.equal(sha256(rest.subarray(0, data.length)), sha256(data))
    assert.equal(rest.subarray(data.length).toString(), `total ${data.length}`)
  })

  await t.test('nothing listening is 502 code 2005, for HTTP and upgrades', async () => {
    const reply = await request(base, 'GET', `${prefix}/8009/`)
    assert.equal(reply.status, 502)
    const body = JSON.parse(reply.body.toString())
    assert.equal(body.error.code, 2005)
    assert.match(body.error.message, /nothing listens on port 8009/)
    const ws = new WebSocket(`${base.replace('http', 'ws')}${prefix}/8009/`)
    const status = await new Promise<number>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => reject(new Error('opened')))
    })
    assert.equal(status, 502)
  })

  await t.test('bad ports and unknown sandboxes', async () => {
    for (const port of ['0', '65536', '99999', 'abc']) {
      const reply = await request(base, 'GET', `${prefix}/${port}/`)
      assert.equal(reply.status, 400, port)
      assert.equal(JSON.parse(reply.body.toString()).error.code, 1001)
    }
    const unknown = await request(base, 'GET', '/v1/sandboxes/nope/proxy/8000/')
    assert.equal(unknown.status, 404)
    assert.equal(JSON.parse(unknown.body.toString()).error.code, 2001)
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/sandboxes/nope/proxy/8000/`)
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    )
    assert.equal(status, 404)
  })

  await t.test('other WebSocket routes still work (PTY)', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/sandboxes/${sandboxId}/pty`)
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data.toString()))
      ws.once('error', reject)
    })
    assert.equal(JSON.parse(first).type, 'ready')
    ws.close()
  })
})
