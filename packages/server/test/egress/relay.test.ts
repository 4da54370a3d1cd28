import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { once } from 'node:events'
import type net from 'node:net'
import { ask, startHarness, startOrigin } from './http-harness.js'

/*
 * The plain-HTTP relay on real loopback sockets: upstream connections are
 * kept and reused per sandbox and never across sandboxes, a pooled
 * connection the origin closed is retried for a GET (and a POST on it is
 * answered 502), a policy change applies to the next request on a kept-alive
 * connection, and bodies of every size arrive whole both ways, length-delimited
 * and chunked.
 */

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** Numbers an origin's connections, so an answer can say which one carried it. */
function numbered(server: http.Server): WeakMap<net.Socket, number> {
  const ids = new WeakMap<net.Socket, number>()
  let next = 0
  server.on('connection', (socket: net.Socket) => ids.set(socket, ++next))
  return ids
}

test('upstream connections are reused within a sandbox and never across sandboxes', async (t) => {
  let ids = new WeakMap<net.Socket, number>()
  const origin = await startOrigin((request, response) => {
    // Answer late and in turn, so concurrent requests of both sandboxes are in flight together.
    setImmediate(() => response.end(`${request.url} on ${ids.get(request.socket)}`))
  })
  ids = numbered(origin.server)
  const harness = await startHarness()
  t.after(async () => {
    await harness.close()
    origin.server.close()
  })

  const first = await ask(harness, 'a', origin.port, '/a/1')
  const second = await ask(harness, 'a', origin.port, '/a/2')
  const connectionOf = (body: Buffer) => Number(/ on (\d+)$/.exec(body.toString())?.[1])
  assert.equal(
    connectionOf(second.body),
    connectionOf(first.body),
    'the second request of a sandbox rides the first one’s connection',
  )

  const bySandbox = { a: new Set<number>(), b: new Set<number>() }
  for (let round = 0; round < 5; round++) {
    const asked = (['a', 'b'] as const).flatMap((sandbox) =>
      [0, 1, 2].map(async (i) => {
        const path = `/${sandbox}/${round}/${i}`
        const answer = await ask(harness, sandbox, origin.port, path)
        const [echoed] = answer.body.toString().split(' on ')
        assert.equal(echoed, path, 'each request is answered with its own answer')
        bySandbox[sandbox].add(connectionOf(answer.body))
      }),
    )
    await Promise.all(asked)
  }
  assert.ok(bySandbox.a.size < 15, 'sandbox a reused connections')
  const shared = [...bySandbox.a].filter((id) => bySandbox.b.has(id))
  assert.deepEqual(shared, [], 'no upstream connection carried requests of both sandboxes')
})

test('a pooled connection the origin reset is retried once for a GET; a POST on it is refused 502', async (t) => {
  let ids = new WeakMap<net.Socket, number>()
  const served = new Map<number, number>()
  const origin = await startOrigin((request, response) => {
    const id = ids.get(request.socket) ?? 0
    served.set(id, (served.get(id) ?? 0) + 1)
    // The second request on a connection finds it closed, as after the origin's idle timeout.
    if (served.get(id) === 2) return void request.socket.resetAndDestroy()
    request.resume()
    request.on('end', () => response.end(`${request.method} answered on ${id}`))
  })
  ids = numbered(origin.server)
  const harness = await startHarness()
  t.after(async () => {
    await harness.close()
    origin.server.close()
  })

  assert.equal(
    (await ask(harness, 'a', origin.port, '/first')).body.toString(),
    'GET answered on 1',
  )
  const retried = await ask(harness, 'a', origin.port, '/second')
  assert.equal(retried.status, 200)
  assert.equal(retried.body.toString(), 'GET answered on 2', 'retried on a new connection')
  assert.equal(served.get(1), 2, 'the reset connection saw the request once')

  // Each of the next two requests is the second on a pooled connection, so finds it reset.
  assert.equal((await ask(harness, 'a', origin.port, '/warm')).status, 200)
  const post = await ask(harness, 'a', origin.port, '/post', {
    method: 'POST',
    body: Buffer.from('once only'),
  })
  assert.equal(post.status, 502, 'a request with a body is not sent twice')
  assert.match(post.body.toString(), /did not answer/)
  assert.equal((await ask(harness, 'a', origin.port, '/warm')).status, 200)
  const head = await ask(harness, 'a', origin.port, '/head', { method: 'HEAD' })
  assert.equal(head.status, 200, 'a HEAD is retried too')
  const after = await ask(harness, 'a', origin.port, '/after')
  assert.equal(after.status, 200, 'the next request gets a working connection')
})

test('a policy change applies to the next request on a kept-alive connection', async (t) => {
  const origin = await startOrigin((_request, response) => response.end('ok'))
  const harness = await startHarness()
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.after(async () => {
    agent.destroy()
    await harness.close()
    origin.server.close()
  })
  const sockets = new Set<net.Socket>()
  agent.on('free', (socket: net.Socket) => sockets.add(socket))
  assert.equal((await ask(harness, 'a', origin.port, '/', { agent })).status, 200)
  assert.equal((await ask(harness, 'a', origin.port, '/', { agent })).status, 200)
  assert.equal(sockets.size, 1, 'both requests on one client connection')
  harness.policies.set('a', { mode: 'allowlist', allow: ['elsewhere.test'] })
  const refused = await ask(harness, 'a', origin.port, '/', { agent })
  assert.equal(refused.status, 403)
  assert.match(refused.body.toString(), /refused by the sandbox's network policy/)
  assert.equal((await ask(harness, 'b', origin.port, '/')).status, 200, 'b is still open')
})

test('bodies of every size arrive whole both ways, length-delimited and chunked', async (t) => {
  const sizes = [0, 1, 1000, 65_535, 65_536, 65_537, 2 ** 20 + 7, 16 * 2 ** 20 + 3]
  const data = randomBytes(sizes.at(-1) ?? 0)
  const origin = await startOrigin((request, response) => {
    const url = new URL(request.url ?? '/', 'http://origin.test')
    if (url.pathname === '/echo') {
      // Answers the SHA-256 of the body it received, and its length.
      const hash = createHash('sha256')
      let length = 0
      request.on('data', (chunk: Buffer) => {
        hash.update(chunk)
        length += chunk.length
      })
      request.on('end', () => response.end(`${length} ${hash.digest('hex')}`))
      return
    }
    request.resume()
    const bytes = data.subarray(0, Number(url.searchParams.get('size')))
    const chunked = url.searchParams.get('chunked') === '1'
    if (!chunked) response.setHeader('content-length', bytes.length)
    // Written in uneven pieces, so chunk boundaries fall everywhere.
    for (let at = 0; at < bytes.length; at += 40_000 + (at % 7919)) {
      response.write(bytes.subarray(at, at + 40_000 + (at % 7919)))
    }
    response.end()
  })
  const harness = await startHarness()
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.after(async () => {
    agent.destroy()
    await harness.close()
    origin.server.close()
  })
  for (const size of sizes) {
    const expected = sha(data.subarray(0, size))
    for (const chunked of [false, true]) {
      const answer = await ask(
        harness,
        'a',
        origin.port,
        `/bytes?size=${size}&chunked=${chunked ? 1 : 0}`,
        { agent },
      )
      assert.equal(answer.status, 200)
      assert.equal(answer.body.length, size, `${size} bytes, chunked ${chunked}`)
      assert.equal(sha(answer.body), expected, `${size} bytes, chunked ${chunked}`)
      if (chunked && size > 0) assert.equal(answer.headers['transfer-encoding'], 'chunked')
      else assert.equal(answer.headers['content-length'], String(size), 'the length passes through')
    }
    const echoed = await ask(harness, 'a', origin.port, '/echo', {
      method: 'POST',
      body: data.subarray(0, size),
      agent,
    })
    assert.equal(echoed.body.toString(), `${size} ${expected}`, `a request body of ${size} bytes`)
  }
})

test('a body cut short upstream is cut short for the sandbox; a slow reader gets it whole', async (t) => {
  const data = randomBytes(8 * 2 ** 20)
  const origin = await startOrigin((request, response) => {
    request.resume()
    const size = Number(new URL(request.url ?? '/', 'http://origin.test').searchParams.get('size'))
    response.setHeader('content-length', size)
    if (request.url?.startsWith('/short')) {
      // Half the promised length, then the connection goes.
      response.write(data.subarray(0, size / 2), () => request.socket.destroy())
      return
    }
    response.end(data.subarray(0, size))
  })
  const harness = await startHarness()
  t.after(async () => {
    await harness.close()
    origin.server.close()
  })
  // Below and above the length from which bodies are spliced.
  for (const size of [64 * 1024, 8 * 2 ** 20]) {
    await assert.rejects(
      ask(harness, 'a', origin.port, `/short?size=${size}`),
      /aborted|ECONNRESET|socket hang up/,
      `${size} bytes promised, half sent`,
    )
  }
  const request = http.request({
    host: '127.0.0.1',
    port: harness.port,
    localAddress: '127.0.0.2',
    path: `http://origin.test:${origin.port}/whole?size=${data.length}`,
    agent: false,
  })
  request.end()
  const [reply] = (await once(request, 'response')) as [http.IncomingMessage]
  const chunks: Buffer[] = []
  reply.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    // A turn of the event loop per chunk: the gateway's writes back up and the upstream waits.
    reply.pause()
    setImmediate(() => reply.resume())
  })
  await once(reply, 'end')
  assert.equal(sha(Buffer.concat(chunks)), sha(data))
})
