import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { WorkspaceClient } from 'workspace-sdk'
import { execStreaming, type ExecIo } from '../src/exec-session.js'

const frame = (event: string, data: unknown, id: number) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** How the fake server answers the run: [status, stdout bytes, trailers] or an error envelope. */
let run: { stdout: Buffer; trailers: Record<string, string> } | { status: number; body: string }
const accepts: string[] = []
let url = ''
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume()
  req.on('end', () => {
    accepts.push(req.headers.accept ?? '')
    if (req.url?.endsWith('/output')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      return void res.end(
        frame('start', { pid: 7 }, 1) +
          frame('stderr', { data: 'err\n' }, 2) +
          frame('exit', { code: 0, timed_out: false }, 3),
      )
    }
    if ('status' in run) return void res.writeHead(run.status).end(run.body)
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'x-pid': '7',
      trailer: 'x-exit-code, x-timed-out',
    })
    res.write(run.stdout)
    res.addTrailers(run.trailers)
    res.end()
  })
})

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => {
  server.closeAllConnections()
  server.close()
})

function fakeIo() {
  const out = new PassThrough()
  const err = new PassThrough()
  const seen = { stdout: [] as Buffer[], stderr: '' }
  out.on('data', (chunk: Buffer) => seen.stdout.push(chunk))
  err.on('data', (chunk: Buffer) => (seen.stderr += chunk.toString()))
  const io: ExecIo = { stdout: out, stderr: err, stdin: undefined, onInterrupt: () => () => {} }
  return { io, seen }
}

async function exec(io: ExecIo, cmd = 'sh', timeoutMs?: number): Promise<number> {
  const client = new WorkspaceClient({ apiUrl: url, env: {} })
  try {
    const request = { sandboxId: 'sb1', cmd, args: [], timeoutMs, raw: true }
    return await execStreaming(client, request, io)
  } finally {
    client.close()
  }
}

describe('wm exec session, raw stdout', () => {
  test('stdout bytes as they came, stderr from the events, the exit code', async () => {
    const bytes = Buffer.from([0, 0xff, 0xfe, 0x0a, 0x80])
    run = { stdout: bytes, trailers: { 'x-exit-code': '3', 'x-timed-out': 'false' } }
    const { io, seen } = fakeIo()
    assert.equal(await exec(io), 3)
    assert.deepEqual(Buffer.concat(seen.stdout), bytes)
    assert.equal(seen.stderr, 'err\n')
    assert.equal(accepts.at(-2), 'application/octet-stream')
  })

  test('a timed-out command exits 124 with a note', async () => {
    run = { stdout: Buffer.alloc(0), trailers: { 'x-exit-code': '137', 'x-timed-out': 'true' } }
    const { io, seen } = fakeIo()
    assert.equal(await exec(io, 'sleep', 500), 124)
    assert.match(seen.stderr, /wm: sleep ran past its timeout \(0\.5s\) and was killed\n$/)
  })

  test('a command that cannot start exits 127 with the reason', async () => {
    run = { status: 400, body: '{"error":{"code":1001,"message":"nope: command not found"}}' }
    const { io, seen } = fakeIo()
    assert.equal(await exec(io, 'nope'), 127)
    assert.equal(seen.stderr, 'wm: nope: command not found\n')
  })
})
