/**
 * The SDK's error tree: one base class, one subclass per kind a caller is
 * likely to catch, chosen from the protocol's code table by {@link sdkError}.
 */
import {
  ClientErrorCodes,
  ErrorCodes,
  errorInfoForCode,
  type SdkErrorName,
} from '@workspace-manager/protocol'

/**
 * Why a failure happened on the client side, before or instead of an error
 * reply from the server. Carried in `details.reason` of a {@link WorkspaceError}
 * whose `status` is `0`; its `code` is the matching 9xxx client code
 * ({@link clientCodeFor}), the same numbers the Python SDK uses.
 */
export type ClientFailureReason =
  | 'config'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'invalid-response'
  | 'upload-source'
  | 'local-file'
  | 'command-failed'
  | NfsFailureReason

/**
 * Why `client.nfs` failed on this machine (a {@link ClientFailureReason}):
 * NFS off on the server, mount tools missing, no privileges (thrown as
 * {@link PermissionDeniedError}), nothing or something already mounted there,
 * a bad mount point, an unsupported platform, or `mount`/`umount` exiting
 * non-zero (`details.stderr` holds what it printed).
 */
export type NfsFailureReason =
  | 'nfs-disabled'
  | 'tools-missing'
  | 'permission'
  | 'already-mounted'
  | 'not-mounted'
  | 'bad-mount-point'
  | 'unsupported-platform'
  | 'mount-failed'
  | 'umount-failed'

/** Fields every {@link WorkspaceError} is built from. */
export interface WorkspaceErrorInit {
  /** Error code from the protocol table; `0` for client-side failures with no such code. */
  code: number
  /** Human-readable message. */
  message: string
  /** HTTP status of the reply; `0` when no reply was received. */
  status?: number
  /** Extra structured information from the server or the SDK. */
  details?: Record<string, unknown>
  /** The underlying error, when one exists. */
  cause?: unknown
}

/** Base class of every error the SDK throws. */
export class WorkspaceError extends Error {
  /** Error code from the protocol table (e.g. `5001`); `0` for client-side failures with no table code. */
  readonly code: number
  /** HTTP status of the reply, or `0` when the server was never heard from. */
  readonly status: number
  /** Structured details from the error envelope, or `{ reason }` for client-side failures. */
  readonly details: Record<string, unknown>

  /** Builds an error from its code, message, status and details. */
  constructor(init: WorkspaceErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'WorkspaceError'
    this.code = init.code
    this.status = init.status ?? 0
    this.details = init.details ?? {}
  }
}

/** A sandbox id names nothing (code 2001). */
export class SandboxNotFoundError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'SandboxNotFoundError'
  }
}

/** A workspace id names nothing (code 7001). */
export class WorkspaceNotFoundError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'WorkspaceNotFoundError'
  }
}

/** A sandbox template (image) does not exist (code 2003). */
export class TemplateNotFoundError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'TemplateNotFoundError'
  }
}

/** A workspace path does not exist (code 5001). */
export class FileNotFoundError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'FileNotFoundError'
  }
}

/** The operation is not allowed on that path (codes 5002 and 5006). */
export class PermissionDeniedError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'PermissionDeniedError'
  }
}

/** What a command did before it failed: carried by {@link ProcessTimeoutError} and {@link CommandExitError}. */
export interface CommandOutput {
  /** Process id inside the sandbox (`-1` when the reply did not say). */
  readonly pid: number
  /** Exit code (`137` for a command killed at its timeout; `-1` when the reply did not say). */
  readonly exitCode: number
  /** Everything the command printed on stdout. */
  readonly stdout: string
  /** Everything the command printed on stderr. */
  readonly stderr: string
}

function outputFrom(details: Record<string, unknown>): CommandOutput {
  const number = (value: unknown) => (typeof value === 'number' ? value : -1)
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  return {
    pid: number(details.pid),
    exitCode: number(details.exit_code ?? details.exitCode),
    stdout: text(details.stdout),
    stderr: text(details.stderr),
  }
}

/**
 * A process ran past its timeout (code 3002) and its process group was killed.
 * `pid`, `exitCode`, `stdout` and `stderr` hold what it did before that.
 */
export class ProcessTimeoutError extends WorkspaceError implements CommandOutput {
  readonly pid: number
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string

  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'ProcessTimeoutError'
    ;({
      pid: this.pid,
      exitCode: this.exitCode,
      stdout: this.stdout,
      stderr: this.stderr,
    } = outputFrom(this.details))
  }
}

/**
 * `client.process.exec` ran a command that exited non-zero. A client-side
 * failure (`code` 0, `details.reason` `'command-failed'`) that still carries
 * the command's output and exit code.
 */
export class CommandExitError extends WorkspaceError implements CommandOutput {
  readonly pid: number
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string

  /** Builds the error for a finished command; the message names it and ends with its stderr. */
  constructor(command: string, output: CommandOutput) {
    const tail = output.stderr.trim().slice(-500)
    super({
      code: ClientErrorCodes.COMMAND_FAILED,
      status: 0,
      message: `${command} exited with code ${output.exitCode}${tail ? `: ${tail}` : ''}`,
      details: { reason: 'command-failed', ...output },
    })
    this.name = 'CommandExitError'
    this.pid = output.pid
    this.exitCode = output.exitCode
    this.stdout = output.stdout
    this.stderr = output.stderr
  }
}

/** A PTY id names no live terminal (code 4001). */
export class PtyNotFoundError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'PtyNotFoundError'
  }
}

/** The in-sandbox agent is not (yet) reachable (code 3003). */
export class AgentNotConnectedError extends WorkspaceError {
  /** @inheritDoc */
  constructor(init: WorkspaceErrorInit) {
    super(init)
    this.name = 'AgentNotConnectedError'
  }
}

const classByName: Record<SdkErrorName, new (init: WorkspaceErrorInit) => WorkspaceError> = {
  WorkspaceError,
  SandboxNotFoundError,
  WorkspaceNotFoundError,
  TemplateNotFoundError,
  FileNotFoundError,
  PermissionDeniedError,
  ProcessTimeoutError,
  PtyNotFoundError,
  AgentNotConnectedError,
}

/**
 * Builds the error for a code from the protocol table: the subclass the table
 * names, or {@link WorkspaceError} for a code this version does not know.
 */
export function sdkError(init: WorkspaceErrorInit): WorkspaceError {
  const info = errorInfoForCode(init.code)
  const ErrorClass = classByName[info?.sdkError ?? 'WorkspaceError']
  return new ErrorClass({ ...init, status: init.status ?? info?.status ?? 0 })
}

/** The generic (1xxx) code answering a bare HTTP status, used when an error body is not JSON. */
export function codeForStatus(status: number): number {
  const generic = Object.values(ErrorCodes).find((row) => row.code < 2000 && row.status === status)
  if (generic) return generic.code
  return status >= 500 ? ErrorCodes.INTERNAL.code : 0
}

/** The 9xxx client code of a client-side failure reason. */
export function clientCodeFor(reason: ClientFailureReason): number {
  switch (reason) {
    case 'config':
      return ClientErrorCodes.CONFIG_INVALID
    case 'network':
      return ClientErrorCodes.NETWORK_ERROR
    case 'timeout':
      return ClientErrorCodes.TIMEOUT
    case 'aborted':
      return ClientErrorCodes.ABORTED
    case 'invalid-response':
      return ClientErrorCodes.BAD_RESPONSE
    case 'upload-source':
    case 'local-file':
      return ClientErrorCodes.LOCAL_IO
    case 'command-failed':
      return ClientErrorCodes.COMMAND_FAILED
    default:
      return ClientErrorCodes.NFS_FAILED
  }
}

/** A client-side failure: a 9xxx client code, no HTTP status, `details.reason` says why. */
export function clientError(
  reason: ClientFailureReason,
  message: string,
  extra: { cause?: unknown; details?: Record<string, unknown> } = {},
): WorkspaceError {
  return new WorkspaceError({
    code: clientCodeFor(reason),
    status: 0,
    message,
    details: { reason, ...extra.details },
    cause: extra.cause,
  })
}

/** The transfer cap was exceeded on the client side (code 1004, like the server's). */
export function transferTooLargeError(limitBytes: number, what: string): WorkspaceError {
  return new WorkspaceError({
    code: ErrorCodes.PAYLOAD_TOO_LARGE.code,
    status: 0,
    message: `${what} exceeds the transfer cap of ${limitBytes} bytes (maxFileTransferBytes / WM_MAX_FILE_TRANSFER_BYTES)`,
    details: { limitBytes },
  })
}
