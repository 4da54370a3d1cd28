import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, test } from 'node:test'
import {
  PtyNotFoundError,
  WorkspaceError,
  type PtyCallbacks,
  type PtyConnectOptions,
  type PtySession,
} from 'workspace-sdk'
import { runShell, type PtyConnector } from '../src/shell-session.js'
import type { EndingSignal, ShellIo, TerminalSize } from '../src/terminal.js'

/** A remote terminal that records what the session did to it. */
class FakePty implements PtySession {
  ptyId = 'pty1'
  offset = 0
  droppedBytes = 0
  exitCode: number | undefined
  connected = true
  written: string[] = []
  resized: [number, number][] = []
  killed = 0
  reconnects = 0
  /** What each reconnect() does: throw an error or succeed. */
  reconnectOutcomes: (WorkspaceError | undefined)[] = []
  onData: PtyCallbacks['onData']
  onExit: PtyCallbacks['onExit']
  onClose: PtyCallbacks['onClose']
  onError: PtyCallbacks['onError']

  write(data: string | Uint8Array): void {
    assert.ok(this.connected, 'write while not connected')
    this.written.push(Buffer.from(data).toString())
  }
  resize(cols: number, rows: number): void {
    this.resized.push([cols, rows])
  }
  kill(): void {
    this.killed++
  }
  async close(): Promise<void> {
    this.connected = false
  }
  async reconnect(): Promise<void> {
    this.reconnects++
    const outcome = this.reconnectOutcomes.shift()
    if (outcome) throw outcome
    this.connected = true
  }
  wait(): Promise<number> {
    return new Promise(() => undefined)
  }
  /** The server side: output, exit, a dropped connection. */
  output(text: string): void {
    this.onData?.(Buffer.from(text))
  }
  exit(code: number): void {
    this.exitCode = code
    this.onExit?.(code)
    this.connected = false
    this.onClose?.({ cause: 'exit', code: 1000, reason: 'pty exited' })
  }
  drop(): void {
    this.connected = false
    this.onClose?.({ cause: 'drop', code: 1006, reason: '' })
  }
}

function setup(interactive = true) {
  const fake = new FakePty()
  const options: PtyConnectOptions[] = []
  const connector: PtyConnector = {
    connect: async (_sandboxId, opts) => {
      options.push(opts)
      Object.assign(fake, { onData: opts.onData, onExit: opts.onExit, onClose: opts.onClose })
      return fake
    },
  }
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: string[] = []
  const err: string[] = []
  stdout.on('data', (d: Buffer) => out.push(d.toString()))
  stderr.on('data', (d: Buffer) => err.push(d.toString()))
  let size: TerminalSize | undefined = { cols: 120, rows: 40 }
  let resizeListener = () => undefined as void
  let signalListener: (signal: EndingSignal) => void = () => undefined
  const raw = { entered: 0, restored: 0 }
  const io: ShellIo = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    interactive,
    size: () => size,
    onResize: (listener) => ((resizeListener = listener), () => undefined),
    onSignal: (listener) => ((signalListener = listener), () => undefined),
    enterRawMode: () => (raw.entered++, () => void raw.restored++),
  }
  return {
    fake,
    options,
    connector,
    io,
    raw,
    out: () => out.join(''),
    err: () => err.join(''),
    type: (text: string) => (io.stdin as PassThrough).write(text),
    resize: (next: TerminalSize) => ((size = next), resizeListener()),
    signal: (signal: EndingSignal) => signalListener(signal),
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const fast = { sandboxId: 'sb1', reconnectDelaysMs: [1, 1, 1] }

describe('wm shell session', () => {
  test('size, shell and env go to connect; keys out, output in; the exit code is the shell’s', async () => {
    const t = setup()
    const running = runShell(t.connector, { ...fast, shell: '/bin/sh', env: { A: '1' } }, t.io)
    await tick()
    assert.deepEqual(
      [t.options[0]?.cols, t.options[0]?.rows, t.options[0]?.shell, t.options[0]?.env],
      [120, 40, '/bin/sh', { A: '1' }],
    )
    assert.equal(t.raw.entered, 1)
    t.type('ls\r')
    await tick()
    t.fake.output('file.txt\r\n')
    t.resize({ cols: 100, rows: 30 })
    t.fake.exit(5)
    assert.equal(await running, 5)
    assert.deepEqual(t.fake.written, ['ls\r'])
    assert.deepEqual(t.fake.resized, [[100, 30]])
    assert.equal(t.out(), 'file.txt\r\n')
    assert.equal(t.raw.restored, 1)
  })

  test('a dropped connection is resumed; keys typed meanwhile are sent after', async () => {
    const t = setup()
    t.fake.reconnectOutcomes = [
      new WorkspaceError({ code: 0, message: 'ECONNREFUSED', details: { reason: 'network' } }),
    ]
    const running = runShell(t.connector, fast, t.io)
    await tick()
    t.fake.drop()
    t.type('typed while away')
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(t.fake.reconnects, 2)
    assert.deepEqual(t.fake.written, ['typed while away'])
    assert.deepEqual(t.fake.resized, [[120, 40]])
    assert.equal(
      t.err(),
      '\r\nwm: connection lost; reconnecting\r\n' +
        'wm: reconnect attempt 1 of 3 failed: ECONNREFUSED\r\nwm: reconnected\r\n',
    )
    t.fake.exit(0)
    assert.equal(await running, 0)
  })

  test('a shell gone while disconnected ends wm with its error (PtyNotFoundError: exit 3)', async () => {
    const t = setup()
    t.fake.reconnectOutcomes = [
      new PtyNotFoundError({ code: 4001, status: 404, message: 'pty pty1 not found' }),
    ]
    const running = runShell(t.connector, fast, t.io)
    await tick()
    t.fake.drop()
    assert.equal(await running, 3)
    assert.match(t.err(), /wm: pty pty1 not found \(code 4001\)/)
    assert.equal(t.fake.reconnects, 1)
    assert.equal(t.raw.restored, 1)
  })

  test('giving up after the last attempt exits 6', async () => {
    const t = setup()
    const down = () => new WorkspaceError({ code: 0, message: 'down' })
    t.fake.reconnectOutcomes = [down(), down(), down()]
    const running = runShell(t.connector, fast, t.io)
    await tick()
    t.fake.drop()
    assert.equal(await running, 6)
    assert.match(t.err(), /could not reconnect/)
  })

  test('a piped stdin that ends sends Ctrl-D', async () => {
    const t = setup(false)
    const running = runShell(t.connector, fast, t.io)
    await tick()
    ;(t.io.stdin as PassThrough).end('echo hi\n')
    await tick()
    assert.deepEqual(t.fake.written, ['echo hi\n', '\x04'])
    t.fake.exit(0)
    assert.equal(await running, 0)
  })

  test('SIGINT is sent on as Ctrl-C, a second one kills and exits 130; SIGTERM exits 143', async () => {
    const t = setup(false)
    const running = runShell(t.connector, fast, t.io)
    await tick()
    t.signal('SIGINT')
    assert.deepEqual(t.fake.written, ['\x03'])
    t.signal('SIGINT')
    assert.equal(await running, 130)
    assert.equal(t.fake.killed, 1)

    const other = setup()
    const ended = runShell(other.connector, fast, other.io)
    await tick()
    other.signal('SIGTERM')
    assert.equal(await ended, 143)
    assert.deepEqual([other.fake.killed, other.fake.connected, other.raw.restored], [1, false, 1])
  })
})
