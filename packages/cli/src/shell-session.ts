/**
 * `wm shell` as a session: our terminal joined to a remote PTY. Keystrokes go
 * out as bytes, output comes back as bytes, resizes follow ours, a dropped
 * connection is resumed from the last byte received, and the shell's exit
 * code becomes ours.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  WorkspaceError,
  type PtyCloseInfo,
  type PtyConnectOptions,
  type PtySession,
} from 'workspace-sdk'
import { exitStatus } from './exec-session.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { formatErrorLine, printable } from './output.js'
import type { EndingSignal, ShellIo } from './terminal.js'

/** What the session needs of `client.pty`. */
export interface PtyConnector {
  connect(sandboxId: string, options: PtyConnectOptions): Promise<PtySession>
}

/** Which shell to open, and how hard to try to keep it. */
export interface ShellRequest {
  sandboxId: string
  shell?: string | undefined
  env?: Record<string, string> | undefined
  /** Waits before each reconnect attempt; default 0.25, 0.5, 1, 2, 4 s. */
  reconnectDelaysMs?: readonly number[]
}

const DEFAULT_RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000]
const SIGNAL_NUMBERS: Record<EndingSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }
const EOT = '\x04'
const ETX = '\x03'
/** Keystrokes kept while reconnecting; beyond this they are dropped. */
const QUEUED_INPUT_LIMIT = 64 * 1024

/** Runs the shell until it exits (or the session cannot go on); resolves to `wm`'s exit code. */
export function runShell(pty: PtyConnector, request: ShellRequest, io: ShellIo): Promise<number> {
  return new ShellSession(pty, request, io).run()
}

class ShellSession {
  readonly #pty: PtyConnector
  readonly #request: ShellRequest
  readonly #io: ShellIo
  #session: PtySession | undefined
  #queued: Buffer[] = []
  #queuedBytes = 0
  #interrupts = 0
  #done = false
  #finish: (code: number) => void = () => undefined

  constructor(pty: PtyConnector, request: ShellRequest, io: ShellIo) {
    this.#pty = pty
    this.#request = request
    this.#io = io
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => {
      this.#finish = (code) => {
        this.#done = true
        resolve(code)
      }
    })
    const { sandboxId, shell, env } = this.#request
    this.#session = await this.#pty.connect(sandboxId, {
      ...this.#io.size(),
      shell,
      env,
      onData: (data) => void this.#io.stdout.write(data),
      onExit: (code) => this.#finish(exitStatus(code)),
      onClose: (info) => this.#closed(info),
    })
    const restoreTerminal = this.#io.enterRawMode()
    const onInput = (chunk: Buffer) => this.#send(chunk)
    // A pipe that ends is Ctrl-D at the prompt: the shell reads EOF and exits.
    const onEnd = () => this.#send(Buffer.from(EOT))
    const onBrokenPipe = () => this.#stop(128 + 13)
    const { stdin, stdout } = this.#io
    stdin.on('data', onInput)
    stdin.on('end', onEnd)
    stdout.on('error', onBrokenPipe)
    const unsubscribe = [
      this.#io.onResize(() => this.#resize()),
      this.#io.onSignal((signal) => this.#signal(signal)),
    ]
    try {
      return await finished
    } finally {
      restoreTerminal()
      unsubscribe.forEach((off) => off())
      stdin.off('data', onInput)
      stdin.off('end', onEnd)
      stdout.off('error', onBrokenPipe)
      stdin.destroy()
      // Detach if still attached (after a signal); after an exit the server has closed already.
      void this.#session.close()
    }
  }

  #send(chunk: Buffer): void {
    if (this.#session?.connected) return this.#session.write(chunk)
    if (this.#queuedBytes + chunk.length > QUEUED_INPUT_LIMIT) return
    this.#queued.push(chunk)
    this.#queuedBytes += chunk.length
  }

  #resize(): void {
    const size = this.#io.size()
    if (size && this.#session?.connected) this.#session.resize(size.cols, size.rows)
  }

  /** Ctrl-C from a pipe's terminal is sent on as the byte a terminal would send; a second one ends `wm`. */
  #signal(signal: EndingSignal): void {
    if (signal === 'SIGINT' && ++this.#interrupts === 1 && this.#session?.connected) {
      return this.#session.write(ETX)
    }
    this.#stop(128 + SIGNAL_NUMBERS[signal])
  }

  /** Ends the remote shell (best effort) and `wm` with `exitCode`. */
  #stop(exitCode: number): void {
    if (this.#session?.connected) this.#session.kill()
    this.#finish(exitCode)
  }

  #closed(info: PtyCloseInfo): void {
    if (info.cause === 'drop' && !this.#done) void this.#reconnect(info)
  }

  async #reconnect(info: PtyCloseInfo): Promise<void> {
    const delays = this.#request.reconnectDelaysMs ?? DEFAULT_RECONNECT_DELAYS_MS
    this.#io.stderr.write('\r\n')
    this.#say(`connection lost${info.reason ? ` (${info.reason})` : ''}; reconnecting`)
    for (const [index, delayMs] of delays.entries()) {
      await sleep(delayMs)
      if (this.#done || !this.#session) return
      try {
        await this.#session.reconnect()
      } catch (error) {
        // The server answered and said no (the shell is gone, the sandbox too): retrying will not help.
        if (error instanceof WorkspaceError && error.status >= 400 && error.status < 500) {
          this.#io.stderr.write(formatErrorLine(error).replace(/\n$/, '\r\n'))
          return this.#finish(exitCodeFor(error))
        }
        const reason = error instanceof Error ? error.message : String(error)
        this.#say(`reconnect attempt ${index + 1} of ${delays.length} failed: ${reason}`)
        continue
      }
      this.#say('reconnected')
      this.#resize()
      for (const chunk of this.#queued.splice(0)) this.#session.write(chunk)
      this.#queuedBytes = 0
      return
    }
    this.#say('could not reconnect; the shell ends on its own once no client is attached for 60 s')
    this.#finish(ExitCode.UNAVAILABLE)
  }

  /** A note on stderr; `\r\n` because the terminal may be in raw mode. */
  #say(message: string): void {
    this.#io.stderr.write(`wm: ${printable(message)}\r\n`)
  }
}
