import assert from 'node:assert/strict'
import type { Readable } from 'node:stream'
import { test } from 'node:test'
import type { WorkspaceError } from '../src/index.js'
import { WorkspaceClient } from '../src/index.js'
import { replyError, startTestServer, type Handler } from './support/test-server.js'

async function withServer(
  handler: Handler,
  run: (client: WorkspaceClient) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(handler)
  const client = new WorkspaceClient({ apiUrl: server.url, env: {} })
  try {
    await run(client)
  } finally {
    client.close()
    await server.close()
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x0d, 0x80])

test('streamStdout asks for octet-stream and yields the bytes, the pid and the exit', async () => {
  let accept: string | undefined
  let body: unknown
  const handler: Handler = (request, response) => {
    accept = request.headers.accept
    body = JSON.parse(request.body.toString())
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'x-pid': '42',
      trailer: 'x-exit-code, x-timed-out',
    })
    response.write(binary)
    response.addTrailers({ 'x-exit-code': '3', 'x-timed-out': 'false' })
    response.end()
  }
  await withServer(handler, async (client) => {
    const output = await client.process.streamStdout('sb1', 'cat', { args: ['x'], stdin: 'in' })
    assert.equal(output.pid, 42)
    assert.deepEqual(await readAll(output.stdout), binary)
    assert.deepEqual(await output.exit, { exitCode: 3, timedOut: false })
  })
  assert.equal(accept, 'application/octet-stream')
  assert.deepEqual(body, { cmd: 'cat', args: ['x'], stdin: 'in' })
})

test('a stream cut off before its trailers rejects exit with a network error', async () => {
  const handler: Handler = (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'x-pid': '7' })
    response.write(binary, () => response.socket?.destroy())
  }
  await withServer(handler, async (client) => {
    const output = await client.process.streamStdout('sb1', 'yes')
    await assert.rejects(readAll(output.stdout))
    await assert.rejects(output.exit, (error: WorkspaceError) => error.code === 9001)
  })
})

test('an end without the exit trailer rejects exit: the process did not end', async () => {
  const handler: Handler = (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'x-pid': '7' })
    response.end(binary)
  }
  await withServer(handler, async (client) => {
    const output = await client.process.streamStdout('sb1', 'yes')
    assert.deepEqual(await readAll(output.stdout), binary)
    await assert.rejects(output.exit, (error: WorkspaceError) => error.code === 9001)
  })
})

test('a refusal is the error of its code; a reply without x-pid is a bad response', async () => {
  await withServer(
    (_request, response) => replyError(response, 400, 1001, 'no-such: command not found'),
    async (client) => {
      await assert.rejects(
        client.process.streamStdout('sb1', 'no-such'),
        (error: WorkspaceError) => error.code === 1001 && error.status === 400,
      )
    },
  )
  await withServer(
    (_request, response) => {
      response.end('x')
    },
    async (client) => {
      await assert.rejects(
        client.process.streamStdout('sb1', 'true'),
        (error: WorkspaceError) => error.code === 9003,
      )
    },
  )
})
