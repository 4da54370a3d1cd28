/** The PTY WebSocket's wire details: paths, the server's control messages, and the exit promise. */
import { fromWire } from '../case.js'
import type { WorkspaceError } from '../errors.js'
import { sandboxUrl } from './sandbox.js'

/** Path of the PTY routes of a sandbox: `/pty` opens a shell, `/pty/{ptyId}` reattaches. */
export function ptyUrl(sandboxId: string, ptyId?: string): string {
  return sandboxUrl(sandboxId, ptyId === undefined ? '/pty' : `/pty/${encodeURIComponent(ptyId)}`)
}

/** The server's first message on every connection. */
export interface ReadyMessage {
  type: 'ready'
  ptyId: string
  /** Byte offset of the first output byte the server sends next. */
  offset: number
}

/** A text frame from the server. */
export type ControlMessage =
  ReadyMessage | { type: 'exit'; code: number } | { type: 'error'; code: number; message: string }

const isNumber = (value: unknown): value is number => typeof value === 'number'

/** Parses a text frame; anything this version does not know is `undefined` (and ignored). */
export function parseControl(data: Buffer): ControlMessage | undefined {
  let message: Record<string, unknown>
  try {
    message = fromWire(JSON.parse(data.toString('utf8')) as Record<string, unknown>)
  } catch {
    return undefined
  }
  const { type } = message
  if (type === 'ready' && typeof message.ptyId === 'string' && isNumber(message.offset)) {
    return { type, ptyId: message.ptyId, offset: message.offset }
  }
  if (type === 'exit' && isNumber(message.code)) return { type, code: message.code }
  if (type === 'error' && isNumber(message.code)) {
    return { type, code: message.code, message: String(message.message ?? 'control error') }
  }
  return undefined
}

/** True for a terminal dimension the server accepts. */
export function validDimension(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 999
}

/**
 * The exit code of one connection: resolves when the shell ends, rejects when
 * the connection ends first. Never an unhandled rejection when nobody waits.
 */
export class ExitWaiter {
  readonly promise: Promise<number>
  #resolve: (code: number) => void = () => undefined
  #reject: (error: WorkspaceError) => void = () => undefined

  constructor() {
    this.promise = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.promise.catch(() => undefined)
  }

  succeed(code: number): void {
    this.#resolve(code)
  }

  fail(error: WorkspaceError): void {
    this.#reject(error)
  }
}
