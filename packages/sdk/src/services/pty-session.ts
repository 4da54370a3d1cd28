/**
 * One terminal session over a WebSocket: binary frames are terminal bytes
 * both ways, text frames JSON control. Keeps the byte offset of what it
 * received so a new connection resumes exactly where the last one stopped.
 */
import type WebSocket from 'ws'
import { ErrorCodes } from '@workspace-manager/protocol'
import { clientError, sdkError } from '../errors.js'
import { openApiSocket, type SocketRequest } from '../pty-socket.js'
import type { PtyCallbacks, PtyCloseInfo, PtyOpenOptions, PtySession } from '../pty-types.js'
import type { Transport } from '../transport.js'
import { ExitWaiter, parseControl, ptyUrl, validDimension, type ReadyMessage } from './pty-wire.js'

/** Output held for a missing `onData` handler beyond which reading pauses (the server then pauses the PTY). */
const HELD_HIGH_WATER_BYTES = 1024 * 1024
/** A connection silent (no message, no pong) for a whole period of this length is taken as dropped. */
const HEARTBEAT_MS = 30_000

/** The session behind {@link PtySession}. */
export class PtySessionImpl implements PtySession {
  readonly #transport: Transport
  readonly #sandboxId: string
  readonly #callbacks: PtyCallbacks
  #ptyId = ''
  #offset = 0
  #droppedBytes = 0
  /** Replayed bytes already delivered (the server started before the requested offset). */
  #skipBytes = 0
  #exitCode: number | undefined
  #socket: WebSocket | undefined
  #closing: Promise<void> | undefined
  #reconnecting: Promise<void> | undefined
  #waiter = new ExitWaiter()
  #held: Uint8Array[] = []
  #heldBytes = 0

  private constructor(transport: Transport, sandboxId: string, callbacks: PtyCallbacks) {
    this.#transport = transport
    this.#sandboxId = sandboxId
    this.#callbacks = { ...callbacks }
  }

  /** Opens the WebSocket and resolves with the session once the server says `ready`. */
  static async open(
    transport: Transport,
    sandboxId: string,
    request: Omit<SocketRequest, 'timeoutMs' | 'signal'>,
    after: number | undefined,
    options: PtyOpenOptions,
  ): Promise<PtySession> {
    const session = new PtySessionImpl(transport, sandboxId, options)
    await session.#open(request, after, options)
    return session
  }

  get ptyId(): string {
    return this.#ptyId
  }
  get offset(): number {
    return this.#offset
  }
  get droppedBytes(): number {
    return this.#droppedBytes
  }
  get exitCode(): number | undefined {
    return this.#exitCode
  }
  get connected(): boolean {
    return this.#socket !== undefined
  }

  get onData(): PtyCallbacks['onData'] {
    return this.#callbacks.onData
  }
  /** Setting a handler hands it the output held so far, in order. */
  set onData(handler: PtyCallbacks['onData']) {
    this.#callbacks.onData = handler
    while (this.#callbacks.onData && this.#held.length > 0) {
      const chunk = this.#held.shift()!
      this.#heldBytes -= chunk.byteLength
      this.#callbacks.onData(chunk)
    }
    if (this.#heldBytes < HELD_HIGH_WATER_BYTES && this.#socket?.isPaused) this.#socket.resume()
  }
  get onExit(): PtyCallbacks['onExit'] {
    return this.#callbacks.onExit
  }
  set onExit(handler: PtyCallbacks['onExit']) {
    this.#callbacks.onExit = handler
  }
  get onClose(): PtyCallbacks['onClose'] {
    return this.#callbacks.onClose
  }
  set onClose(handler: PtyCallbacks['onClose']) {
    this.#callbacks.onClose = handler
  }
  get onError(): PtyCallbacks['onError'] {
    return this.#callbacks.onError
  }
  set onError(handler: PtyCallbacks['onError']) {
    this.#callbacks.onError = handler
  }

  write(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    this.#connectedSocket().send(bytes, { binary: true })
  }

  resize(cols: number, rows: number): void {
    if (!validDimension(cols) || !validDimension(rows)) {
      throw sdkError({
        code: ErrorCodes.VALIDATION.code,
        status: 0,
        message: `terminal size must be whole numbers from 1 to 999, got ${cols}x${rows}`,
      })
    }
    this.#connectedSocket().send(JSON.stringify({ type: 'resize', cols, rows }))
  }

  kill(): void {
    this.#connectedSocket().send(JSON.stringify({ type: 'kill' }))
  }

  close(): Promise<void> {
    const socket = this.#socket
    // Detaching during a reconnect: let it land, then leave the new connection.
    if (!socket && this.#reconnecting)
      return this.#reconnecting.then(
        () => this.close(),
        () => {},
      )
    if (!socket) return this.#closing ?? Promise.resolve()
    this.#closing = new Promise((resolve) => socket.once('close', () => resolve()))
    this.#detach(socket, 'detach')
    return this.#closing
  }

  reconnect(options: Pick<PtyOpenOptions, 'timeoutMs' | 'signal'> = {}): Promise<void> {
    if (this.#exitCode !== undefined) return Promise.resolve()
    this.#reconnecting ??= this.#reattach(options).finally(() => (this.#reconnecting = undefined))
    return this.#reconnecting
  }

  wait(): Promise<number> {
    return this.#waiter.promise
  }

  async #reattach(options: Pick<PtyOpenOptions, 'timeoutMs' | 'signal'>): Promise<void> {
    // Stop reading the old connection first: what it still had in flight is replayed from `offset`.
    if (this.#socket) this.#detach(this.#socket, undefined)
    const after = this.#offset
    await this.#open(
      { path: ptyUrl(this.#sandboxId, this.#ptyId), query: { after } },
      after,
      options,
    )
  }

  /** Leaves a connection: its messages are ignored from now on, its waiters told, and it is closed. */
  #detach(socket: WebSocket, cause: PtyCloseInfo['cause'] | undefined): void {
    this.#socket = undefined
    this.#waiter.fail(clientError('aborted', 'detached from the terminal before the shell ended'))
    if (cause) {
      socket.once('close', (code, reason) => {
        this.#callbacks.onClose?.({ cause, code, reason: reason.toString('utf8') })
      })
    }
    socket.close(1000, 'detached')
  }

  #open(
    request: Omit<SocketRequest, 'timeoutMs' | 'signal'>,
    after: number | undefined,
    options: Pick<PtyOpenOptions, 'timeoutMs' | 'signal'>,
  ): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#transport.config.timeoutMs
    return new Promise((resolve, reject) => {
      const { socket, opened } = openApiSocket(
        this.#transport,
        { ...request, timeoutMs, signal: options.signal },
        reject,
      )
      let ready = false
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (ready) return this.#message(socket, data, isBinary)
        const control = isBinary ? undefined : parseControl(data)
        if (control?.type !== 'ready') return
        ready = true
        opened()
        this.#attached(socket, control, after)
        resolve()
      })
      socket.on('close', (code, reason) => {
        if (ready) this.#closed(socket, code, reason.toString('utf8'))
      })
    })
  }

  #attached(socket: WebSocket, ready: ReadyMessage, after: number | undefined): void {
    this.#ptyId = ready.ptyId
    this.#socket = socket
    this.#waiter = new ExitWaiter()
    if (after !== undefined && ready.offset > after) this.#droppedBytes += ready.offset - after
    this.#skipBytes = after !== undefined && ready.offset < after ? after - ready.offset : 0
    this.#offset = ready.offset
    this.#heartbeat(socket)
  }

  #message(socket: WebSocket, data: Buffer, isBinary: boolean): void {
    if (socket !== this.#socket) return
    if (isBinary) return this.#output(socket, data)
    const control = parseControl(data)
    if (control?.type === 'exit') {
      this.#exitCode = control.code
      this.#callbacks.onExit?.(control.code)
      this.#waiter.succeed(control.code)
    } else if (control?.type === 'error') {
      this.#callbacks.onError?.(
        sdkError({ code: control.code, status: 0, message: control.message }),
      )
    }
  }

  #output(socket: WebSocket, data: Buffer): void {
    this.#offset += data.byteLength
    const skip = Math.min(this.#skipBytes, data.byteLength)
    this.#skipBytes -= skip
    const chunk = skip > 0 ? data.subarray(skip) : data
    if (chunk.byteLength === 0) return
    if (this.#callbacks.onData && this.#held.length === 0) return this.#callbacks.onData(chunk)
    this.#held.push(chunk)
    this.#heldBytes += chunk.byteLength
    if (this.#heldBytes >= HELD_HIGH_WATER_BYTES) socket.pause()
  }

  #closed(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.#socket) return
    this.#socket = undefined
    const cause = this.#exitCode === undefined ? 'drop' : 'exit'
    this.#waiter.fail(
      clientError('network', `the terminal connection closed before the shell ended (${code})`, {
        details: { closeCode: code, closeReason: reason },
      }),
    )
    this.#callbacks.onClose?.({ cause, code, reason })
  }

  /** Pings the server; a connection that stays silent for a whole period is ended as dropped. */
  #heartbeat(socket: WebSocket): void {
    let heard = true
    const hear = (): void => void (heard = true)
    socket.on('pong', hear)
    socket.on('message', hear)
    const timer = setInterval(() => {
      // A socket we paused reads nothing, pongs included: that silence is ours.
      if (!heard && !socket.isPaused) return void socket.terminate()
      heard = false
      socket.ping()
    }, HEARTBEAT_MS).unref()
    socket.once('close', () => clearInterval(timer))
  }

  #connectedSocket(): WebSocket {
    if (this.#socket) return this.#socket
    const message =
      this.#exitCode === undefined
        ? 'the terminal is not connected: reconnect() to follow it again'
        : `the shell has ended (exit code ${this.#exitCode})`
    throw clientError('network', message)
  }
}
