/** `client.process`: commands and processes inside a sandbox. */
import type {
  CommandResult as WireCommandResult,
  ProcessInfo as WireProcessInfo,
} from '@workspace-manager/protocol'
import { CommandExitError } from '../errors.js'
import { processEvents } from '../process-events.js'
import type {
  AttachOptions,
  CommandOptions,
  CommandResult,
  ProcessEvent,
  ProcessHandle,
  ProcessInfo,
  RawOutput,
  RunOptions,
  SendStdinOptions,
  ShellOptions,
  StartOptions,
  StreamOptions,
} from '../process-types.js'
import { rawOutput } from '../raw-output.js'
import type { UploadContent } from '../request-body.js'
import type { Transport } from '../transport.js'
import type { CallOptions } from '../types.js'
import { startProcess } from './process-handle.js'
import { sandboxUrl } from './sandbox.js'

/** How long an HTTP request waits beyond a command's own timeout (the server needs time to answer). */
export const COMMAND_TIMEOUT_SLACK_MS = 30_000
/** The server's upper bound for a command timeout. */
const MAX_COMMAND_TIMEOUT_MS = 86_400_000

function processesUrl(sandboxId: string, suffix = ''): string {
  return sandboxUrl(sandboxId, `/processes${suffix}`)
}

function processUrl(sandboxId: string, pid: number, suffix: string): string {
  return processesUrl(sandboxId, `/${encodeURIComponent(String(pid))}${suffix}`)
}

function commandBody(cmd: string, options: CommandOptions, stdin: string | boolean | undefined) {
  const timeout = options.timeoutMs === undefined ? undefined : options.timeoutMs / 1000
  return { cmd, args: options.args, env: options.env, cwd: options.cwd, timeout, stdin }
}

/** Process operations. Reached as `client.process`. */
export class ProcessService {
  readonly #transport: Transport

  /** Built by {@link WorkspaceClient}; not meant to be constructed directly. */
  constructor(transport: Transport) {
    this.#transport = transport
  }

  /**
   * Runs `cmd` (looked up in `PATH`, no shell) and waits for it to exit. A
   * non-zero exit is a result, not an error; a command that cannot start
   * exits 127 (not found) or 126. Past `timeoutMs` (default `execTimeoutMs`)
   * the server kills its process group and this throws `ProcessTimeoutError`
   * carrying `pid`, `exitCode`, `stdout` and `stderr`.
   */
  async run(sandboxId: string, cmd: string, options: RunOptions = {}): Promise<CommandResult> {
    const config = this.#transport.config
    const commandTimeoutMs = Math.min(
      options.timeoutMs ?? config.execTimeoutMs,
      MAX_COMMAND_TIMEOUT_MS,
    )
    return this.#transport.json<WireCommandResult>({
      method: 'POST',
      path: processesUrl(sandboxId),
      json: commandBody(cmd, { ...options, timeoutMs: commandTimeoutMs }, options.stdin),
      timeoutMs: commandTimeoutMs + COMMAND_TIMEOUT_SLACK_MS,
      signal: options.signal,
    })
  }

  /**
   * Runs `cmd args...` and returns its stdout; a non-zero exit throws
   * `CommandExitError` carrying the output and exit code.
   */
  async exec(sandboxId: string, cmd: string, ...args: string[]): Promise<string> {
    const result = await this.run(sandboxId, cmd, { args })
    if (result.exitCode === 0) return result.stdout
    throw new CommandExitError([cmd, ...args].join(' '), result)
  }

  /** Runs a script with `/bin/sh -c` (pipes, loops and variables work). */
  async shell(
    sandboxId: string,
    script: string,
    options: ShellOptions = {},
  ): Promise<CommandResult> {
    return this.run(sandboxId, '/bin/sh', { ...options, args: ['-c', script] })
  }

  /**
   * Starts `cmd` and yields its events as they happen: `start` (pid),
   * `stdout`/`stderr` (text), then `exit` (code, timedOut) or `error`. The
   * request is sent on first iteration; a failure to reach the sandbox is
   * thrown from the loop. Leaving the loop early or aborting `signal` closes
   * the HTTP stream, but the process keeps running in the sandbox: stop it
   * with `kill`, or follow it again with `attach`.
   */
  stream(
    sandboxId: string,
    cmd: string,
    options: StreamOptions = {},
  ): AsyncGenerator<ProcessEvent, void, undefined> {
    const config = this.#transport.config
    const idleMs =
      options.timeoutMs === undefined
        ? config.execTimeoutMs
        : options.timeoutMs + COMMAND_TIMEOUT_SLACK_MS
    return processEvents(this.#transport, {
      method: 'POST',
      path: processesUrl(sandboxId),
      json: commandBody(cmd, options, options.stdin),
      timeoutMs: idleMs,
      signal: options.signal,
    })
  }

  /**
   * Starts `cmd` and resolves once it runs, with its stdout as a byte stream:
   * exactly what it wrote (binary data too), with no event framing, the
   * fastest way to read bulk output. Stderr is not in it: it is kept in the
   * process's events (`attach(sandboxId, pid)`). `exit` settles when
   * `stdout` has been read to the end. The process belongs to this stream:
   * destroying it (or aborting `signal`) before the end kills the process.
   * A command that cannot start rejects with the server's reason (400).
   */
  async streamStdout(
    sandboxId: string,
    cmd: string,
    options: StreamOptions = {},
  ): Promise<RawOutput> {
    const config = this.#transport.config
    const idleMs =
      options.timeoutMs === undefined
        ? config.execTimeoutMs
        : options.timeoutMs + COMMAND_TIMEOUT_SLACK_MS
    const response = await this.#transport.open({
      method: 'POST',
      path: processesUrl(sandboxId),
      json: commandBody(cmd, options, options.stdin),
      accept: 'application/octet-stream',
      timeoutMs: idleMs,
      signal: options.signal,
    })
    return rawOutput(response)
  }

  /**
   * Starts `cmd`, hands its output to `onStdout`/`onStderr` as it arrives, and
   * resolves once it is running with a handle to wait for, signal or feed it.
   * A command that cannot start rejects with the server's reason.
   */
  async start(sandboxId: string, cmd: string, options: StartOptions = {}): Promise<ProcessHandle> {
    const controller = new AbortController()
    const signal = options.signal
      ? AbortSignal.any([options.signal, controller.signal])
      : controller.signal
    const events = this.stream(sandboxId, cmd, { ...options, signal })
    return startProcess(events, controller, {
      onStdout: options.onStdout,
      onStderr: options.onStderr,
      kill: (pid, number) => this.kill(sandboxId, pid, number),
      sendStdin: (pid, data, sendOptions) => this.sendStdin(sandboxId, pid, data, sendOptions),
    })
  }

  /**
   * Follows a process started earlier: replays the output the server kept (a
   * bounded buffer; `dropped` on the first event after a gap says how much was
   * lost), then live events until it exits. `after` skips events up to that
   * sequence number. `timeoutMs` bounds silence (default `execTimeoutMs`).
   */
  attach(
    sandboxId: string,
    pid: number,
    options: AttachOptions = {},
  ): AsyncGenerator<ProcessEvent, void, undefined> {
    return processEvents(this.#transport, {
      method: 'GET',
      path: processUrl(sandboxId, pid, '/output'),
      query: { after: options.after },
      timeoutMs: options.timeoutMs ?? this.#transport.config.execTimeoutMs,
      signal: options.signal,
    })
  }

  /** Running and recently ended processes (the last 100). */
  async list(sandboxId: string, options: CallOptions = {}): Promise<ProcessInfo[]> {
    const reply = await this.#transport.json<{ processes: WireProcessInfo[] }>({
      method: 'GET',
      path: processesUrl(sandboxId),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    })
    return reply.processes
  }

  /** Sends `signal` (default 15, SIGTERM) to the process group of `pid`. */
  async kill(
    sandboxId: string,
    pid: number,
    signal = 15,
    options: CallOptions = {},
  ): Promise<void> {
    await this.#transport.call({
      method: 'POST',
      path: processUrl(sandboxId, pid, '/signal'),
      json: { signal },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    })
  }

  /**
   * Writes to the stdin of `pid` (started with `stdin: true`); text is sent as
   * UTF-8, streams as they produce. `eof` closes stdin afterwards. For a
   * long-lived pipe pass `timeoutMs: Infinity`: the timeout counts silence.
   */
  async sendStdin(
    sandboxId: string,
    pid: number,
    data: UploadContent,
    options: SendStdinOptions = {},
  ): Promise<void> {
    await this.#transport.call({
      method: 'POST',
      path: processUrl(sandboxId, pid, '/stdin'),
      query: { eof: options.eof ?? false },
      body: data,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    })
  }
}
