import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { after, before, beforeEach, describe, test } from 'node:test'
import { WorkspaceClient } from 'workspace-sdk'
import { cannotStartExitCode, execStreaming, exitStatus, type ExecIo } from '../src/exec-session.js'

interface Seen {
  method: string
  url: string
  body: string
}

const frame = (event: string, data: unknown, id?: number) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

let seen: Seen[] = []
let answer: (res: ServerResponse) => void
let streamClosed: Promise<void> = Promise.resolve()
let onStdin: () => void = () => undefined
let stdinReply: [number, string] | undefined
let url = ''
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      body: Buffer.concat(chunks).toString(),
    })
    if (req.url?.includes('/stdin')) {
      onStdin()
      if (stdinReply) return void res.writeHead(stdinReply[0]).end(stdinReply[1])
    }
    if (!req.url?.endsWith('/processes')) return void res.writeHead(204).end()
    streamClosed = new Promise((resolve) => res.on('close', () => resolve()))
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    answer(res)
  })
})

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
beforeEach(() => {
  seen = []
})
after(() => {
  server.closeAllConnections()
  server.close()
})

/** Fake terminal: collected output, optional stdin, and a Ctrl-C button. */
function fakeIo(stdin?: Readable) {
  const out = new PassThrough()
  const err = new PassThrough()
  const text = { stdout: '', stderr: '' }
  out.on('data', (chunk: Buffer) => (text.stdout += chunk.toString()))
  err.on('data', (chunk: Buffer) => (text.stderr += chunk.toString()))
  let listener: (() => void) | undefined
  const io: ExecIo = {
    stdout: out,
    stderr: err,
    stdin,
    onInterrupt: (next) => {
      listener = next
      return () => (listener = undefined)
    },
  }
  return { io, text, interrupt: () => listener?.() }
}

async function exec(io: ExecIo, cmd = 'sh', timeoutMs?: number): Promise<number> {
  const client = new WorkspaceClient({ apiUrl: url, env: {} })
  try {
    return await execStreaming(client, { sandboxId: 'sb1', cmd, args: ['-c', 'x'], timeoutMs }, io)
  } finally {
    client.close()
  }
}

describe('wm exec session', () => {
  test('streams stdout and stderr and returns the exit code', async () => {
    answer = (res) =>
      res.end(
        frame('start', { pid: 7 }, 1) +
          frame('stdout', { data: 'out\n' }, 2) +
          frame('stderr', { data: 'err\n' }, 3) +
          frame('exit', { code: 3, timed_out: false }, 4),
      )
    const { io, text } = fakeIo()
    assert.equal(await exec(io), 3)
    assert.deepEqual(text, { stdout: 'out\n', stderr: 'err\n' })
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { cmd: 'sh', args: ['-c', 'x'] })
  })

  test('output the server dropped is reported on stderr', async () => {
    answer = (res) =>
      res.end(
        frame('start', { pid: 7 }, 1) +
          frame('stdout', { data: 'end\n', dropped: 5000 }, 9) +
          frame('exit', { code: 0, timed_out: false }, 10),
      )
    const { io, text } = fakeIo()
    assert.equal(await exec(io), 0)
    assert.equal(text.stdout, 'end\n')
    assert.match(text.stderr, /^wm: 5000 bytes of output were lost: /)
  })

  test('a piped stdin starts the command with stdin open and is forwarded with eof', async () => {
    answer = (res) => {
      res.write(frame('start', { pid: 7 }, 1))
      onStdin = () => res.end(frame('exit', { code: 0, timed_out: false }, 2))
    }
    const { io } = fakeIo(Readable.from([Buffer.from('hi\n'), Buffer.from('there\n')]))
    assert.equal(await exec(io, 'cat', 2000), 0)
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), {
      cmd: 'cat',
      args: ['-c', 'x'],
      timeout: 2,
      stdin: true,
    })
    assert.deepEqual(seen[1], {
      method: 'POST',
      url: '/v1/sandboxes/sb1/processes/7/stdin?eof=true',
      body: 'hi\nthere\n',
    })
  })

  test('a process that exits before taking its stdin is not an error', async () => {
    answer = (res) => {
      res.write(frame('start', { pid: 7 }, 1))
      onStdin = () => setTimeout(() => res.end(frame('exit', { code: 0, timed_out: false }, 2)), 50)
    }
    stdinReply = [400, '{"error":{"code":1001,"message":"stdin is not open"}}']
    const { io, text } = fakeIo(Readable.from([Buffer.from('unread')]))
    try {
      assert.equal(await exec(io, 'true'), 0)
    } finally {
      stdinReply = undefined
    }
    assert.equal(text.stderr, '')
  })

  test('a timed-out command exits 124 with a note on stderr', async () => {
    answer = (res) =>
      res.end(frame('start', { pid: 7 }, 1) + frame('exit', { code: 137, timed_out: true }, 2))
    const { io, text } = fakeIo()
    assert.equal(await exec(io, 'sleep', 500), 124)
    assert.match(text.stderr, /^wm: sleep ran past its timeout \(0\.5s\) and was killed\n$/)
  })

  test('a command that cannot start exits 127, or 126 when not executable', async () => {
    answer = (res) => res.end(frame('error', { message: 'nope: command not found' }))
    const missing = fakeIo()
    assert.equal(await exec(missing.io, 'nope'), 127)
    assert.equal(missing.text.stderr, 'wm: nope: command not found\n')
    answer = (res) => res.end(frame('error', { message: '/etc/passwd: permission denied' }))
    assert.equal(await exec(fakeIo().io, '/etc/passwd'), 126)
  })

  test('Ctrl-C sends SIGINT to the process group, closes the stream and exits 130', async () => {
    answer = (res) => res.write(frame('start', { pid: 7 }, 1))
    const { io, interrupt } = fakeIo()
    const running = exec(io, 'sleep')
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 50))
    interrupt()
    assert.equal(await running, 130)
    assert.deepEqual(seen[1], {
      method: 'POST',
      url: '/v1/sandboxes/sb1/processes/7/signal',
      body: '{"signal":2}',
    })
    await streamClosed
  })

  test('exit codes and start failures map to process exit statuses', () => {
    assert.deepEqual([0, 3, 255, 256, -1, 1.5].map(exitStatus), [0, 3, 255, 1, 1, 1])
    assert.equal(cannotStartExitCode('cwd /nope: no such file or directory'), 127)
    assert.equal(cannotStartExitCode('exec format error'), 126)
  })
})
