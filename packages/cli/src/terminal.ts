/**
 * The local terminal of `wm shell`: raw mode that is always undone (on
 * return, on signals, on a crash), its size, and its resizes.
 */
import type { Readable, Writable } from 'node:stream'

/** A terminal size in character cells. */
export interface TerminalSize {
  cols: number
  rows: number
}

/** Signals that end `wm shell` (each restores the terminal first). */
export const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** One of {@link ENDING_SIGNALS}. */
export type EndingSignal = (typeof ENDING_SIGNALS)[number]

/** The local ends of a shell session. */
export interface ShellIo {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** True when stdin is a terminal (keystrokes go raw to the remote shell); false for a pipe or file. */
  interactive: boolean
  /** The size of our terminal, when stdout is one. */
  size(): TerminalSize | undefined
  /** Subscribes to size changes (SIGWINCH); returns the unsubscribe function. */
  onResize(listener: () => void): () => void
  /** Subscribes to ending signals; returns the unsubscribe function. */
  onSignal(listener: (signal: EndingSignal) => void): () => void
  /** Switches a terminal stdin to raw mode; returns the function that restores it (safe to call twice). */
  enterRawMode(): () => void
}

/** The real terminal of this process. */
export function processShellIo(): ShellIo {
  const { stdin, stdout, stderr } = process
  return {
    stdin,
    stdout,
    stderr,
    interactive: stdin.isTTY === true,
    size: () =>
      stdout.isTTY && stdout.columns > 0 && stdout.rows > 0
        ? { cols: stdout.columns, rows: stdout.rows }
        : undefined,
    onResize: (listener) => {
      // Node emits `resize` on a TTY stdout when SIGWINCH arrives.
      stdout.on('resize', listener)
      return () => stdout.off('resize', listener)
    },
    onSignal: (listener) => {
      const handlers = ENDING_SIGNALS.map((signal) => {
        const handler = () => listener(signal)
        process.on(signal, handler)
        return () => process.off(signal, handler)
      })
      return () => handlers.forEach((off) => off())
    },
    enterRawMode: () => rawMode(stdin),
  }
}

/**
 * Raw mode on a TTY stdin: no line editing, no echo, Ctrl-C as a byte. The
 * `exit` hook restores the terminal even when the process dies of an
 * uncaught error, so the user's shell is never left without echo.
 */
function rawMode(stdin: NodeJS.ReadStream): () => void {
  if (!stdin.isTTY) return () => undefined
  stdin.setRawMode(true)
  const restore = (): void => {
    if (stdin.isRaw) stdin.setRawMode(false)
  }
  process.on('exit', restore)
  return () => {
    process.off('exit', restore)
    restore()
  }
}
