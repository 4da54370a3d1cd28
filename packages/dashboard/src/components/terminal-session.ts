import { sandboxes } from '../api/resources.js'
import { apiKey } from '../api/session.js'

/** What the terminal shows about its connection. */
export type SessionStatus =
  'connecting' | 'connected' | 'reconnecting' | 'exited' | 'lost' | 'closed'

/** What a {@link PtySession} reports to its terminal. */
export interface SessionEvents {
  output: (bytes: Uint8Array) => void
  status: (status: SessionStatus, detail?: string) => void
  /** The PTY id, once the server named it (kept for reattaching). */
  ptyId: (id: string) => void
}

/** Attempts to reattach after a dropped connection before giving up. */
const MAX_RETRIES = 6

const ptyItem = (sandboxId: string) => `wm.pty.${sandboxId}`

/** The PTY this tab last used in a sandbox, to reattach to (and replay) it. */
export function savedPtyId(sandboxId: string): string | null {
  return sessionStorage.getItem(ptyItem(sandboxId))
}

/** Forgets the saved PTY, so the next terminal starts a new shell. */
export function forgetPty(sandboxId: string): void {
  sessionStorage.removeItem(ptyItem(sandboxId))
}

/**
 * One terminal's connection to a PTY over the WebSocket route. It opens a new
 * shell, or reattaches to `ptyId` (the server replays the kept output: the
 * scroll-back). A connection that drops is reattached from the last byte
 * seen (`?after=`), so nothing is shown twice; a key-authenticated server
 * gets a short-lived token in the URL, as browsers cannot set headers there.
 */
export class PtySession {
  readonly #sandboxId: string
  readonly #events: SessionEvents
  #socket: WebSocket | null = null
  #ptyId: string | null
  /** Output offset of the next byte to arrive. */
  #position: number | null = null
  #size: { cols: number; rows: number }
  #retries = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #ended = false

  constructor(
    sandboxId: string,
    ptyId: string | null,
    size: { cols: number; rows: number },
    events: SessionEvents,
  ) {
    this.#sandboxId = sandboxId
    this.#ptyId = ptyId
    this.#size = size
    this.#events = events
  }

  /** Opens (or reattaches) the connection. */
  async connect(): Promise<void> {
    this.#events.status(this.#retries ? 'reconnecting' : 'connecting')
    let url: string
    try {
      url = await this.#url()
    } catch (error) {
      return this.#dropped((error as Error).message)
    }
    if (this.#ended) return
    const socket = new WebSocket(url)
    socket.binaryType = 'arraybuffer'
    this.#socket = socket
    socket.onmessage = (message) => {
      if (message.data instanceof ArrayBuffer) {
        if (this.#position !== null) this.#position += message.data.byteLength
        this.#events.output(new Uint8Array(message.data))
        return
      }
      const control = JSON.parse(String(message.data)) as {
        type: string
        pty_id?: string
        offset?: number
        code?: number
        message?: string
      }
      if (control.type === 'ready' && control.pty_id) {
        this.#ptyId = control.pty_id
        this.#position = control.offset ?? 0
        this.#retries = 0
        sessionStorage.setItem(ptyItem(this.#sandboxId), control.pty_id)
        this.#events.ptyId(control.pty_id)
        this.#events.status('connected')
        // The window may have changed size while the connection was down.
        this.resize(this.#size.cols, this.#size.rows)
      } else if (control.type === 'exit') {
        this.#ended = true
        forgetPty(this.#sandboxId)
        this.#events.status('exited', `exit code ${control.code ?? '?'}`)
      }
    }
    socket.onclose = () => {
      if (this.#socket !== socket) return
      this.#socket = null
      if (!this.#ended) this.#dropped('connection closed')
    }
  }

  async #url(): Promise<string> {
    const params = new URLSearchParams()
    if (apiKey()) params.set('token', (await sandboxes.ptyToken(this.#sandboxId)).token)
    let path = `/v1/sandboxes/${encodeURIComponent(this.#sandboxId)}/pty`
    if (this.#ptyId) {
      path += `/${encodeURIComponent(this.#ptyId)}`
      if (this.#position !== null) params.set('after', String(this.#position))
    } else {
      params.set('cols', String(this.#size.cols))
      params.set('rows', String(this.#size.rows))
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    return `${scheme}//${location.host}${path}?${params}`
  }

  #dropped(reason: string): void {
    if (this.#ended) return
    if (this.#retries >= MAX_RETRIES) {
      this.#ended = true
      this.#events.status('lost', reason)
      return
    }
    this.#retries += 1
    this.#events.status('reconnecting', reason)
    this.#timer = setTimeout(() => void this.connect(), 250 * 2 ** this.#retries)
  }

  /** Sends keystrokes. */
  input(data: string): void {
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#socket.send(new TextEncoder().encode(data))
    }
  }

  /** Tells the PTY the terminal's size. */
  resize(cols: number, rows: number): void {
    this.#size = { cols, rows }
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#socket.send(JSON.stringify({ type: 'resize', cols, rows }))
    }
  }

  /** Ends the shell. */
  kill(): void {
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#socket.send(JSON.stringify({ type: 'kill' }))
    }
  }

  /** Drops the connection for a test of reattaching: as a network failure would. */
  drop(): void {
    this.#socket?.close()
  }

  /** Detaches: the PTY lives on (its id stays saved) for the next terminal to reattach. */
  close(): void {
    this.#ended = true
    clearTimeout(this.#timer)
    const socket = this.#socket
    this.#socket = null
    socket?.close()
    this.#events.status('closed')
  }
}
