/**
 * A tiny real WebSocket server speaking the PTY protocol, for tests: `ready`
 * first, binary frames echoed back as output, `resize`/`kill` control, `exit`
 * last, reattach with `after=`, and refused upgrades as HTTP error envelopes.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

/** One fake terminal: everything it ever printed, from offset 0. */
export interface FakePty {
  id: string
  sandboxId: string
  output: Buffer
  /** Output before this offset is no longer kept (as if evicted from the ring). */
  keptFrom: number
  /** Replay from here whatever `after` asks (a server that repeats output). */
  replayFrom?: number
  input: Buffer[]
  controls: unknown[]
  socket: WebSocket | undefined
  exitCode: number | undefined
}

/** One upgrade request as the server saw it. */
export interface SeenUpgrade {
  url: URL
  headers: IncomingHttpHeaders
}

export interface PtyServerOptions {
  /** Answer an upgrade with an HTTP error instead: `[status, code]` or a raw `[status, body]`. */
  refuse?: (url: URL) => [number, number | string] | undefined
  /** What input does; default: echoed back as output. */
  onInput?: (pty: FakePty, data: Buffer) => void
  /** Output sent right after `ready` of a new terminal, in the same tick. */
  greeting?: Buffer[]
  /** Never say `ready` (for timeouts). */
  silent?: boolean
}

export interface PtyServer {
  url: string
  upgrades: SeenUpgrade[]
  ptys: Map<string, FakePty>
  /** Appends output and sends it to the attached client, if any. */
  emit(pty: FakePty, data: string | Buffer): void
  /** Ends the shell: `exit` then close 1000. */
  exit(pty: FakePty, code: number): void
  /** Cuts the client off without a close frame (a dropped connection). */
  drop(pty: FakePty): void
  close(): Promise<void>
}

export async function startPtyServer(options: PtyServerOptions = {}): Promise<PtyServer> {
  const upgrades: SeenUpgrade[] = []
  const ptys = new Map<string, FakePty>()
  const http = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ noServer: true })

  const emit = (pty: FakePty, data: string | Buffer): void => {
    const bytes = Buffer.from(data)
    pty.output = Buffer.concat([pty.output, bytes])
    pty.socket?.send(bytes, { binary: true })
  }
  const exit = (pty: FakePty, code: number): void => {
    pty.exitCode = code
    pty.socket?.send(JSON.stringify({ type: 'exit', code }))
    pty.socket?.close(1000, 'pty exited')
  }

  const serve = (socket: WebSocket, pty: FakePty, after: number | undefined): void => {
    pty.socket?.close(1011, 'taken over')
    pty.socket = socket
    const offset = pty.replayFrom ?? Math.max(after ?? 0, pty.keptFrom)
    socket.send(JSON.stringify({ type: 'ready', pty_id: pty.id, offset }))
    if (offset < pty.output.length) socket.send(pty.output.subarray(offset), { binary: true })
    const fresh = after === undefined && pty.output.length === 0
    for (const chunk of fresh ? (options.greeting ?? []) : []) emit(pty, chunk)
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        pty.input.push(data)
        return options.onInput ? options.onInput(pty, data) : emit(pty, data)
      }
      const message = JSON.parse(data.toString()) as { type?: string }
      pty.controls.push(message)
      if (message.type === 'kill') exit(pty, 137)
      else if (message.type !== 'resize') {
        socket.send(JSON.stringify({ type: 'error', code: 1001, message: 'unknown control' }))
      }
    })
    socket.on('close', () => {
      if (pty.socket === socket) pty.socket = undefined
    })
  }

  http.on('upgrade', (request, tcp, head) => {
    const url = new URL(request.url ?? '/', 'http://test')
    upgrades.push({ url, headers: request.headers })
    const refusal = options.refuse?.(url)
    const match = /^\/v1\/sandboxes\/([^/]+)\/pty(?:\/([^/]+))?$/.exec(url.pathname)
    const existing = match?.[2] === undefined ? undefined : ptys.get(match[2])
    const answer =
      refusal ?? (match && (match[2] === undefined || existing) ? undefined : [404, 4001])
    if (answer) {
      const [status, code] = answer
      const body =
        typeof code === 'string' ? code : JSON.stringify({ error: { code, message: `no ${code}` } })
      tcp.end(
        `HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
      return
    }
    wss.handleUpgrade(request, tcp, head, (socket) => {
      if (options.silent) return
      const after = url.searchParams.get('after')
      const pty = existing ?? newPty(ptys, match?.[1] ?? '')
      serve(socket, pty, after === null ? undefined : Number(after))
    })
  })

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    upgrades,
    ptys,
    emit,
    exit,
    drop: (pty) => pty.socket?.terminate(),
    close: async () => {
      for (const client of wss.clients) client.terminate()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

function newPty(ptys: Map<string, FakePty>, sandboxId: string): FakePty {
  const id = `pty${ptys.size + 1}`
  const pty: FakePty = {
    id,
    sandboxId,
    output: Buffer.alloc(0),
    keptFrom: 0,
    input: [],
    controls: [],
    socket: undefined,
    exitCode: undefined,
  }
  ptys.set(id, pty)
  return pty
}
