/**
 * `wm exec` as a session: the remote command's output streamed to ours, our
 * stdin forwarded to it, Ctrl-C passed on, and its exit code handed back.
 */
import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { WorkspaceError, type WorkspaceClient } from 'workspace-sdk'
import { ExitCode } from './exit-codes.js'
import { printable } from './output.js'

const SIGINT = 2
const SIGPIPE = 13

/** What to run, as the SDK takes it. */
export interface ExecRequest {
  sandboxId: string
  cmd: string
  args: string[]
  env?: Record<string, string> | undefined
  cwd?: string | undefined
  timeoutMs?: number | undefined
  /**
   * Stdout as raw bytes (exactly as written, binary included; the fast
   * path), stderr followed from the process's events; else both as text
   * events.
   */
  raw?: boolean | undefined
}

/** The local ends of a session. */
export interface ExecIo {
  stdout: Writable
  stderr: Writable
  /** Forwarded to the command when given (then the command starts with stdin open). */
  stdin: Readable | undefined
  /** Subscribes to Ctrl-C; returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void
}

/** The real terminal: stdin is forwarded only when it is not a TTY (a pipe or a file). */
export function processIo(): ExecIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin.isTTY ? undefined : process.stdin,
    onInterrupt: (listener) => {
      process.on('SIGINT', listener)
      return () => process.off('SIGINT', listener)
    },
  }
}

/** A command that could not start: 126 when it is not executable, else 127 (not found). */
export function cannotStartExitCode(reason: string): number {
  return /permission denied|not executable|exec format/i.test(reason)
    ? ExitCode.CANNOT_EXECUTE
    : ExitCode.COMMAND_NOT_FOUND
}

/** An exit code as a process exit status (0-255); anything else is a generic failure. */
export function exitStatus(code: number): number {
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : ExitCode.ERROR
}

/** Runs the request with output streamed; resolves to the exit code `wm` should exit with. */
export function execStreaming(
  client: WorkspaceClient,
  request: ExecRequest,
  io: ExecIo,
): Promise<number> {
  return new ExecSession(client, request, io).run()
}

class ExecSession {
  readonly #client: WorkspaceClient
  readonly #request: ExecRequest
  readonly #io: ExecIo
  readonly #controller = new AbortController()
  #pid: number | undefined
  #dropped = 0
  #interrupts = 0
  #finish: (code: number) => void = () => undefined

  constructor(client: WorkspaceClient, request: ExecRequest, io: ExecIo) {
    this.#client = client
    this.#request = request
    this.#io = io
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.#finish = resolve))
    const unsubscribe = this.#io.onInterrupt(() => this.#interrupt())
    // The reader of our output went away (`wm exec ... | head`): stop the command as a pipe would.
    const onBrokenPipe = () => void this.#stop(SIGPIPE, 128 + SIGPIPE)
    this.#io.stdout.on('error', onBrokenPipe)
    this.#io.stderr.on('error', onBrokenPipe)
    try {
      const follow = this.#request.raw ? this.#followRaw() : this.#follow()
      return await Promise.race([follow, finished])
    } finally {
      unsubscribe()
      this.#io.stdout.off('error', onBrokenPipe)
      this.#io.stderr.off('error', onBrokenPipe)
      // Closes the event stream and the stdin upload; the command itself has ended or been signalled.
      this.#controller.abort()
      this.#io.stdin?.destroy()
    }
  }

  async #follow(): Promise<number> {
    const { sandboxId, cmd, timeoutMs } = this.#request
    const events = this.#client.process.stream(sandboxId, cmd, this.#startOptions())
    for await (const event of events) {
      this.#dropped += event.dropped ?? 0
      if (event.type === 'exit' || event.type === 'error') this.#reportDropped()
      switch (event.type) {
        case 'start':
          this.#started(event.pid)
          break
        case 'stdout':
        case 'stderr':
          await write(event.type === 'stdout' ? this.#io.stdout : this.#io.stderr, event.data)
          break
        case 'exit':
          if (!event.timedOut) return exitStatus(event.code)
          this.#say(`${cmd} ran past its timeout (${(timeoutMs ?? 0) / 1000}s) and was killed`)
          return ExitCode.TIMED_OUT
        case 'error':
          this.#say(event.message)
          return this.#pid === undefined ? cannotStartExitCode(event.message) : ExitCode.UNAVAILABLE
      }
    }
    return ExitCode.ERROR
  }

  /** What both ways of following start the process with. */
  #startOptions() {
    const { args, env, cwd, timeoutMs } = this.#request
    return {
      args,
      env,
      cwd,
      timeoutMs,
      stdin: this.#io.stdin ? true : undefined,
      signal: this.#controller.signal,
    }
  }

  /** Raw stdout piped to ours; stderr from the process's events meanwhile. */
  async #followRaw(): Promise<number> {
    const { sandboxId, cmd, timeoutMs } = this.#request
    let output
    try {
      output = await this.#client.process.streamStdout(sandboxId, cmd, this.#startOptions())
    } catch (error) {
      // Refused before it started (the server's reason, as the event stream's error event).
      if (!(error instanceof WorkspaceError) || error.status !== 400) throw error
      this.#say(error.message)
      return cannotStartExitCode(error.message)
    }
    this.#started(output.pid)
    const stderr = this.#followStderr(output.pid)
    for await (const chunk of output.stdout) await write(this.#io.stdout, chunk as Buffer)
    const exit = await output.exit
    await stderr
    this.#reportDropped()
    if (!exit.timedOut) return exitStatus(exit.exitCode)
    this.#say(`${cmd} ran past its timeout (${(timeoutMs ?? 0) / 1000}s) and was killed`)
    return ExitCode.TIMED_OUT
  }

  /** Writes the stderr events of `pid` until its exit event; a broken follow only loses stderr. */
  async #followStderr(pid: number): Promise<void> {
    const events = this.#client.process.attach(this.#request.sandboxId, pid, {
      // It ends with the process (or when the session ends): silence is no failure.
      timeoutMs: Infinity,
      signal: this.#controller.signal,
    })
    try {
      for await (const event of events) {
        this.#dropped += event.dropped ?? 0
        if (event.type === 'stderr') await write(this.#io.stderr, event.data)
      }
    } catch (error) {
      if (this.#controller.signal.aborted) return
      this.#say(
        `following stderr failed: ${error instanceof Error ? error.message : String(error)}`,
      )
    }
  }

  #started(pid: number): void {
    this.#pid = pid
    if (this.#interrupts > 0) void this.#stop(SIGINT, ExitCode.INTERRUPTED)
    const stdin = this.#io.stdin
    if (!stdin) return
    const { sandboxId } = this.#request
    // Silence on our stdin is not a failure: no inactivity limit on this upload.
    const options = { eof: true, timeoutMs: Infinity, signal: this.#controller.signal }
    this.#client.process.sendStdin(sandboxId, pid, stdin, options).catch((error: unknown) => {
      if (this.#controller.signal.aborted || refusedInput(error)) return
      this.#say(
        `forwarding stdin failed: ${error instanceof Error ? error.message : String(error)}`,
      )
    })
  }

  #reportDropped(): void {
    if (this.#dropped === 0) return
    this.#say(
      `${this.#dropped} bytes of output were lost: the server buffers a bounded amount per process and the output outran this connection`,
    )
  }

  /** Ctrl-C: SIGINT to the remote process group, then exit 130; a second Ctrl-C exits at once. */
  #interrupt(): void {
    this.#interrupts++
    if (this.#interrupts > 1) this.#finish(ExitCode.INTERRUPTED)
    else if (this.#pid !== undefined) void this.#stop(SIGINT, ExitCode.INTERRUPTED)
    // Before the pid is known, #started sends the signal.
  }

  async #stop(signal: number, exitCode: number): Promise<void> {
    const pid = this.#pid
    if (pid !== undefined) {
      await this.#client.process.kill(this.#request.sandboxId, pid, signal).catch(() => undefined)
    }
    this.#finish(exitCode)
  }

  #say(message: string): void {
    void write(this.#io.stderr, `wm: ${printable(message)}\n`)
  }
}

/**
 * A 4xx answer to a stdin upload means the process takes no more input (it
 * exited or closed its stdin, maybe before our upload arrived): not worth a
 * warning, as a shell does not warn when a pipe's reader is gone.
 */
function refusedInput(error: unknown): boolean {
  return error instanceof WorkspaceError && error.status >= 400 && error.status < 500
}

/**
 * Writes and waits while the stream's buffer is full, so a slow reader slows
 * the command down. A broken stream is left to its `error` listener.
 */
async function write(stream: Writable, data: string | Buffer): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return
  if (!stream.write(data)) await once(stream, 'drain').catch(() => undefined)
}
