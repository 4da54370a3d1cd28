/** Public data types of `client.process`. */
import type { Readable } from 'node:stream'
import type { CommandOutput } from './errors.js'
import type { UploadContent } from './request-body.js'
import type { CallOptions } from './types.js'

/** Outcome of a command run to completion. */
export interface CommandResult extends CommandOutput {
  /** Process id inside the sandbox. */
  readonly pid: number
  /** Exit code: `127` command not found, `126` not executable, `128 + n` killed by signal `n`. */
  readonly exitCode: number
  /** Standard output (UTF-8 text). */
  readonly stdout: string
  /** Standard error (UTF-8 text). */
  readonly stderr: string
  /** True when a stream exceeded 16 MiB and the rest was dropped. */
  readonly truncated: boolean
}

/** A process as `client.process.list` reports it. */
export interface ProcessInfo {
  pid: number
  cmd: string
  args: string[]
  state: 'running' | 'exited'
  /** `null` while running. */
  exitCode: number | null
  /** True when it was killed at its timeout. */
  timedOut: boolean
  /** ISO 8601 UTC. */
  startedAt: string
  /** ISO 8601 UTC; `null` while running. */
  endedAt: string | null
}

/** What every way of running a command accepts. */
export interface CommandOptions {
  /** Arguments, passed as they are (no shell). */
  args?: string[]
  /** Environment added to the sandbox's. */
  env?: Record<string, string>
  /** Working directory; default the workspace (`/workspace`). */
  cwd?: string
  /**
   * The command's own timeout, in ms (sent in seconds): past it the server
   * kills the whole process group. `run` defaults to `execTimeoutMs`
   * (`WM_EXEC_TIMEOUT`); a stream has none unless given.
   */
  timeoutMs?: number
  /** Aborts the call. A process that already started keeps running in the sandbox. */
  signal?: AbortSignal
}

/** Options of `client.process.run`. */
export interface RunOptions extends CommandOptions {
  /** Text written to the command's stdin, which is then closed. */
  stdin?: string
}

/** Options of `client.process.shell`. */
export type ShellOptions = Omit<CommandOptions, 'args'>

/** Options of `client.process.stream`. */
export interface StreamOptions extends CommandOptions {
  /** Text written to stdin then closed, or `true` to keep stdin open for `sendStdin`. */
  stdin?: string | boolean
}

/** How a process whose raw stdout was read ended. */
export interface RawOutputExit {
  /** Exit code, as in {@link CommandResult}. */
  readonly exitCode: number
  /** True when it was killed at its timeout. */
  readonly timedOut: boolean
}

/** A running process's raw stdout, from `client.process.streamStdout`. */
export interface RawOutput {
  /** Process id inside the sandbox (for `kill`, `sendStdin`, `attach`). */
  readonly pid: number
  /** Its stdout bytes exactly as written, as they come; read it to the end. */
  readonly stdout: Readable
  /**
   * Settles once `stdout` has been read to its end: the exit code, or a
   * network error when the stream broke before the process exited.
   */
  readonly exit: Promise<RawOutputExit>
}

/** Options of `client.process.start`: a stream whose output goes to callbacks. */
export interface StartOptions extends StreamOptions {
  /** Called with each piece of stdout as it arrives. */
  onStdout?: (data: string) => void
  /** Called with each piece of stderr as it arrives. */
  onStderr?: (data: string) => void
}

/** Options of `client.process.attach`. */
export interface AttachOptions extends CallOptions {
  /** Replay only events after this sequence number (`seq` of the last event seen). */
  after?: number
}

/** Options of `client.process.sendStdin`. */
export interface SendStdinOptions extends CallOptions {
  /** Close the process's stdin after writing; default `false`. */
  eof?: boolean
}

/** Fields every process event may carry. */
interface EventFields {
  /** Sequence number of the event (resume after it with `attach({ after })`). */
  seq?: number
  /**
   * Output bytes lost just before this event: the server keeps a bounded
   * buffer per process (1 MiB) and drops the oldest output a slow reader has
   * not taken yet.
   */
  dropped?: number
}

/** One event of `stream` or `attach`; the iteration ends after `exit` or `error`. */
export type ProcessEvent =
  | (EventFields & { type: 'start'; pid: number })
  | (EventFields & { type: 'stdout' | 'stderr'; data: string })
  | (EventFields & { type: 'exit'; code: number; timedOut: boolean })
  | (EventFields & { type: 'error'; message: string })

/** A process started with `client.process.start`. */
export interface ProcessHandle {
  /** Process id inside the sandbox. */
  readonly pid: number
  /**
   * Resolves when the process exits, with its output (each stream kept up to
   * 16 MiB; `truncated` also when the server dropped output it could not
   * deliver in time). Rejects with `ProcessTimeoutError` (output attached)
   * past its timeout, or with the error that ended the stream.
   */
  wait(): Promise<CommandResult>
  /** Sends a signal to its process group; default 15 (SIGTERM). */
  kill(signal?: number): Promise<void>
  /** Writes to its stdin (it must have been started with `stdin: true`). */
  sendStdin(data: UploadContent, options?: SendStdinOptions): Promise<void>
  /** Stops following its output; the process keeps running in the sandbox. */
  disconnect(): void
}
