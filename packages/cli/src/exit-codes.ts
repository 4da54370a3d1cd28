/** Exit codes scripts can rely on, and the mapping from errors to them. */
import { CommanderError } from 'commander'
import { ProcessTimeoutError, WorkspaceError } from 'workspace-sdk'

/** Process exit codes of `wm`. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Any other failure, including API errors without a more specific code below. */
  ERROR: 1,
  /** Bad command line or configuration. */
  USAGE: 2,
  /** The workspace, file or other resource does not exist (any 404). */
  NOT_FOUND: 3,
  /** Missing or rejected credentials (codes 1002, 1003, 6001, 6002). */
  AUTH: 4,
  /** Conflict with the current state (any 409: exists, not empty, in use...). */
  CONFLICT: 5,
  /** The server or network is unavailable (no reply, timeout, 502/503/504; `wm server status`: not ready). */
  UNAVAILABLE: 6,
  /** `wm exec`: the command ran past `--timeout` and was killed (as coreutils `timeout`). */
  TIMED_OUT: 124,
  /** `wm exec`: the command could not be executed (found but not executable). */
  CANNOT_EXECUTE: 126,
  /** `wm exec`: the command (or its working directory) was not found. */
  COMMAND_NOT_FOUND: 127,
  /** Interrupted by Ctrl-C (SIGINT), as shells report it. */
  INTERRUPTED: 130,
} as const

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

const AUTH_CODES = new Set([1002, 1003, 6001, 6002])
const UNAVAILABLE_STATUSES = new Set([502, 503, 504])

/** A usage problem found by `wm` itself (beyond what the argument parser checks). */
export class UsageError extends Error {
  /** Creates a usage error with the message shown to the user. */
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The exit code for an error thrown while running a command. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE
  if (error instanceof UsageError) return ExitCode.USAGE
  if (error instanceof ProcessTimeoutError) return ExitCode.TIMED_OUT
  if (!(error instanceof WorkspaceError)) return ExitCode.ERROR
  const reason = error.details.reason
  if (reason === 'config') return ExitCode.USAGE
  if (reason === 'network' || reason === 'timeout') return ExitCode.UNAVAILABLE
  if (AUTH_CODES.has(error.code)) return ExitCode.AUTH
  if (error.status === 404) return ExitCode.NOT_FOUND
  if (error.status === 409) return ExitCode.CONFLICT
  if (UNAVAILABLE_STATUSES.has(error.status)) return ExitCode.UNAVAILABLE
  return ExitCode.ERROR
}

/** The exit-code table shown at the end of `wm --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  error (API error without a more specific code below)
  2  usage or configuration error
  3  not found (workspace, file, ...: any 404)
  4  authentication failed (codes 1002, 1003, 6001, 6002)
  5  conflict (already exists, not empty, in use: any 409)
  6  server or network unavailable (no reply, timeout, 502/503/504), or not ready
  wm exec exits with the command's own code, or: 124 timed out (--timeout),
  126 not executable, 127 not found, 130 interrupted (Ctrl-C)
  wm shell exits with the shell's own code (137 when killed)`
