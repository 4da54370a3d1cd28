import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import { createSandbox, parseSse, run, sandboxApp } from './helpers/sandbox.js'

interface RawReply {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  trailers: NodeJS.Dict<string>
}

/** POSTs a run with Accept: application/octet-stream over a real connection, read to the end. */
function postRaw(
  base: string,
  path: string,
  payload: unknown,
  accept = 'application/octet-stream',
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, base), {
      method: 'POST',
      headers: { accept, 'content-type': 'application/json' },
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
          trailers: response.trailers,
        }),
      )
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(JSON.stringify(payload))
  })
}

test('raw output: stdout bytes exactly, exit code in trailers, stderr in the events', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `/v1/sandboxes/${sandboxId}/processes`

  await t.test('random binary data comes through byte for byte', async () => {
    const reply = await postRaw(base, url, {
      cmd: 'sh',
      args: ['-c', 'head -c 8388608 /dev/urandom | tee /tmp/random'],
    })
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['content-type'], 'application/octet-stream')
    assert.equal(reply.headers['x-stderr'], 'events')
    assert.ok(Number(reply.headers['x-pid']) > 1)
    assert.equal(reply.trailers['x-exit-code'], '0')
    assert.equal(reply.trailers['x-timed-out'], 'false')
    assert.equal(reply.body.length, 8 * 2 ** 20)
    const written = await run(app, sandboxId, { cmd: 'sha256sum', args: ['/tmp/random'] })
    assert.equal(
      createHash('sha256').update(reply.body).digest('hex'),
      written.json.stdout.split(' ')[0],
    )
  })

  await t.test('a failing command: its output, its code, its stderr in the events', async () => {
    const reply = await postRaw(base, url, {
      cmd: 'sh',
      args: ['-c', 'printf partial; echo oops >&2; exit 5'],
    })
    assert.equal(reply.status, 200)
    assert.equal(reply.body.toString(), 'partial')
    assert.equal(reply.trailers['x-exit-code'], '5')
    const output = await app.inject({
      method: 'GET',
      url: `${url}/${reply.headers['x-pid']}/output`,
    })
    const events = parseSse(output.body)
    assert.deepEqual(
      events.map((e) => e.event),
      ['start', 'stderr', 'exit'],
    )
    assert.equal(events[1]?.data.data, 'oops\n')
    assert.equal(events[2]?.data.code, 5)
  })

  await t.test('stdin and the timeout', async () => {
    const fed = await postRaw(base, url, { cmd: 'cat', stdin: 'fed in' })
    assert.equal(fed.body.toString(), 'fed in')
    assert.equal(fed.trailers['x-exit-code'], '0')
    const slow = await postRaw(base, url, { cmd: 'sleep', args: ['30'], timeout: 1 })
    assert.equal(slow.status, 200)
    assert.equal(slow.trailers['x-exit-code'], '137')
    assert.equal(slow.trailers['x-timed-out'], 'true')
  })

  await t.test(
    'the head comes before any output: stdin sent after it reaches the command',
    async () => {
      const request = http.request(new URL(url, base), {
        method: 'POST',
        headers: { accept: 'application/octet-stream', 'content-type': 'application/json' },
      })
      request.end(JSON.stringify({ cmd: 'cat', stdin: true }))
      const [response] = (await once(request, 'response')) as [http.IncomingMessage]
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      const fed = await app.inject({
        method: 'POST',
        url: `${url}/${response.headers['x-pid']}/stdin?eof=true`,
        headers: { 'content-type': 'application/octet-stream' },
        payload: Buffer.from('late input'),
      })
      assert.equal(fed.statusCode, 204)
      await once(response, 'end')
      assert.equal(Buffer.concat(chunks).toString(), 'late input')
      assert.equal(response.trailers['x-exit-code'], '0')
    },
  )

  await t.test('closing the request kills a process that never ends', async () => {
    const pid = await new Promise<number>((resolve, reject) => {
      const request = http.request(new URL(url, base), {
        method: 'POST',
        headers: { accept: 'application/octet-stream', 'content-type': 'application/json' },
      })
      request.on('response', (response) => {
        let seen = 0
        response.on('data', (chunk: Buffer) => {
          seen += chunk.length
          // Some output has come: the process runs; now go away.
          if (seen >= 65536) {
            request.destroy()
            resolve(Number(response.headers['x-pid']))
          }
        })
        response.on('error', () => {})
      })
      request.on('error', (error) => {
        if (!request.destroyed) reject(error)
      })
      request.end(JSON.stringify({ cmd: 'yes' }))
    })
    // The kill follows the disconnect through the server and the agent: ask until it shows.
    for (;;) {
      const list = await app.inject({ method: 'GET', url })
      const proc = list.json().processes.find((p: { pid: number }) => p.pid === pid)
      assert.ok(proc, `process ${pid} is listed`)
      if (proc.state === 'exited') {
        assert.equal(proc.exit_code, 137)
        break
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
  })

  await t.test('bad requests get the error table codes, not a stream', async () => {
    const missing = await postRaw(base, url, { cmd: 'no-such-command' })
    assert.equal(missing.status, 400)
    assert.equal(JSON.parse(missing.body.toString()).error.code, 1001)
    assert.match(JSON.parse(missing.body.toString()).error.message, /no-such-command/)
    const badBody = await postRaw(base, url, { cmd: 5 })
    assert.equal(badBody.status, 400)
    assert.equal(JSON.parse(badBody.body.toString()).error.code, 1001)
    const noSandbox = await postRaw(base, '/v1/sandboxes/sb_nope/processes', { cmd: 'true' })
    assert.equal(noSandbox.status, 404)
    assert.equal(JSON.parse(noSandbox.body.toString()).error.code, 2001)
  })

  await t.test('Accept picks the first output mode it names', async () => {
    const raw = await postRaw(
      base,
      url,
      { cmd: 'printf', args: ['x'] },
      'application/octet-stream;q=0.9, text/event-stream',
    )
    assert.equal(raw.body.toString(), 'x')
    const sse = await postRaw(
      base,
      url,
      { cmd: 'printf', args: ['x'] },
      'text/event-stream, application/octet-stream',
    )
    assert.match(sse.headers['content-type'] ?? '', /^text\/event-stream/)
    const json = await postRaw(base, url, { cmd: 'printf', args: ['x'] }, 'text/html')
    assert.equal(JSON.parse(json.body.toString()).stdout, 'x')
  })
})
