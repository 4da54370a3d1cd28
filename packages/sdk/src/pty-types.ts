/** Public data types of `client.pty`: interactive terminals inside sandboxes. */
import type { WorkspaceError } from './errors.js'

/** Why a terminal's WebSocket closed, as {@link PtyCallbacks.onClose} reports it. */
export interface PtyCloseInfo {
  /**
   * `exit`: the shell ended (after `onExit`). `detach`: `close()` closed it;
   * the PTY lives on (`reconnect()` switches connections without a close event). `drop`: the connection was lost
   * or taken over by another client; the PTY lives on for its grace period
   * (60 s), so `reconnect()` can follow it again without losing output.
   */
  cause: 'exit' | 'detach' | 'drop'
  /** WebSocket close code (`1000` normal, `1006` no close frame, `1011` the server lost the agent). */
  code: number
  /** Close reason the server gave, if any. */
  reason: string
}

/** Callbacks of a terminal session; each can also be set later on the session. */
export interface PtyCallbacks {
  /**
   * Terminal output, as raw bytes (UTF-8 text may be split between chunks:
   * decode with a streaming `TextDecoder`). Output that arrives while no
   * handler is set is kept, in order, until one is.
   */
  onData?: ((data: Uint8Array) => void) | undefined
  /** The shell ended with this exit code (`128 + n` when killed by signal `n`, `137` after `kill()`). */
  onExit?: ((exitCode: number) => void) | undefined
  /** The WebSocket closed; `cause` says whether the shell ended, we detached, or the connection dropped. */
  onClose?: ((info: PtyCloseInfo) => void) | undefined
  /** The server refused a control message (code 1001); rare, as the SDK checks what it sends. */
  onError?: ((error: WorkspaceError) => void) | undefined
}

/** What opening or re-opening a terminal's WebSocket accepts. */
export interface PtyOpenOptions extends PtyCallbacks {
  /** Longest wait for the server to accept the WebSocket and say `ready`, in ms; default `timeoutMs` of the client. */
  timeoutMs?: number
  /** Aborts opening; an open session is ended with `close()` instead. */
  signal?: AbortSignal
}

/** Options of `client.pty.connect`. */
export interface PtyConnectOptions extends PtyOpenOptions {
  /** Terminal width in columns (1-999); default 80. */
  cols?: number
  /** Terminal height in rows (1-999); default 24. */
  rows?: number
  /** Shell to run; default the sandbox's `$SHELL`, else `/bin/bash`, else `/bin/sh`. */
  shell?: string
  /** Environment added to the shell's (`TERM` defaults to `xterm-256color`). */
  env?: Record<string, string>
}

/** Options of `client.pty.attach`. */
export interface PtyAttachOptions extends PtyOpenOptions {
  /**
   * Replay kept output from this byte offset (a session's `offset`); by
   * default everything the server still keeps (the last 256 KiB).
   */
  after?: number
}

/** A short-lived token that opens a terminal's WebSocket as `?token=` (for browsers, which cannot set headers). */
export interface PtyToken {
  /** The token; good only for this sandbox's PTY routes. */
  token: string
  /** When it stops being accepted, ISO 8601 UTC (about 60 s after minting). */
  expiresAt: string
}

/** An interactive terminal: a shell on a PTY inside a sandbox, over one WebSocket. */
export interface PtySession extends PtyCallbacks {
  /** Id of the PTY inside the sandbox (for `client.pty.attach`). */
  readonly ptyId: string
  /**
   * Byte offset of the output received so far: where the server started
   * (the `ready` offset) plus every byte since. `reconnect()` resumes here.
   */
  readonly offset: number
  /** Output bytes the server no longer had when re-attaching (evicted while no client was attached). */
  readonly droppedBytes: number
  /** The shell's exit code once it ended, else `undefined`. */
  readonly exitCode: number | undefined
  /** True while the WebSocket is open. */
  readonly connected: boolean
  /** Sends keystrokes (text is sent as UTF-8). Throws a `network` error when not connected. */
  write(data: string | Uint8Array): void
  /** Changes the terminal size (1-999 each); the shell gets SIGWINCH. */
  resize(cols: number, rows: number): void
  /** Kills the shell and every process of its session; `onExit` follows with code 137. */
  kill(): void
  /** Detaches: closes the WebSocket and leaves the PTY running (for its grace period, 60 s, if no one attaches). */
  close(): Promise<void>
  /**
   * Detaches if still connected, then attaches again from `offset`: output
   * produced meanwhile is replayed with nothing repeated or skipped. The
   * callbacks stay. Resolves at once if the shell has already ended; rejects
   * with `PtyNotFoundError` once the PTY is gone (60 s after the shell ended or
   * its last client left).
   */
  reconnect(options?: Pick<PtyOpenOptions, 'timeoutMs' | 'signal'>): Promise<void>
  /**
   * Resolves with the exit code when the shell ends. Rejects when this
   * connection ends first (detached or dropped); after `reconnect()`, call
   * it again.
   */
  wait(): Promise<number>
}
