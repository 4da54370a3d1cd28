/**
 * The one table of error codes. The server answers every failure with
 * `{"error": {"code", "message", "details"}}` and the HTTP status beside the
 * code here; both SDKs choose their error class from the same code.
 */

/** Name of the SDK error class a code maps to. */
export type SdkErrorName =
  | 'WorkspaceError'
  | 'SandboxNotFoundError'
  | 'TemplateNotFoundError'
  | 'ProcessTimeoutError'
  | 'AgentNotConnectedError'
  | 'PtyNotFoundError'
  | 'FileNotFoundError'
  | 'PermissionDeniedError'
  | 'WorkspaceNotFoundError'

/** One row of the error table. */
export interface ErrorCodeInfo {
  /** Numeric code carried in the error envelope. */
  readonly code: number
  /** HTTP status the server answers with. */
  readonly status: number
  /** Stable symbolic name, e.g. `FILE_NOT_FOUND`. */
  readonly key: string
  /** SDK error class chosen for this code. */
  readonly sdkError: SdkErrorName
}

function row(code: number, status: number, key: string, sdkError: SdkErrorName = 'WorkspaceError') {
  return { code, status, key, sdkError } as const
}

/** Every error code, by symbolic name. */
export const ErrorCodes = {
  INTERNAL: row(1000, 500, 'INTERNAL'),
  VALIDATION: row(1001, 400, 'VALIDATION'),
  UNAUTHENTICATED: row(1002, 401, 'UNAUTHENTICATED'),
  FORBIDDEN: row(1003, 403, 'FORBIDDEN'),
  PAYLOAD_TOO_LARGE: row(1004, 413, 'PAYLOAD_TOO_LARGE'),
  RATE_LIMITED: row(1005, 429, 'RATE_LIMITED'),
  RUNTIME_UNAVAILABLE: row(1006, 503, 'RUNTIME_UNAVAILABLE'),
  NOT_FOUND: row(1007, 404, 'NOT_FOUND'),
  METHOD_NOT_ALLOWED: row(1008, 405, 'METHOD_NOT_ALLOWED'),
  SANDBOX_NOT_FOUND: row(2001, 404, 'SANDBOX_NOT_FOUND', 'SandboxNotFoundError'),
  SANDBOX_NOT_RUNNING: row(2002, 409, 'SANDBOX_NOT_RUNNING'),
  TEMPLATE_NOT_FOUND: row(2003, 404, 'TEMPLATE_NOT_FOUND', 'TemplateNotFoundError'),
  SANDBOX_LIMIT_REACHED: row(2004, 429, 'SANDBOX_LIMIT_REACHED'),
  PORT_UNREACHABLE: row(2005, 502, 'PORT_UNREACHABLE'),
  CHECKPOINT_REFUSED: row(2006, 409, 'CHECKPOINT_REFUSED'),
  PROCESS_NOT_FOUND: row(3001, 404, 'PROCESS_NOT_FOUND'),
  PROCESS_TIMED_OUT: row(3002, 408, 'PROCESS_TIMED_OUT', 'ProcessTimeoutError'),
  AGENT_NOT_CONNECTED: row(3003, 503, 'AGENT_NOT_CONNECTED', 'AgentNotConnectedError'),
  PTY_NOT_FOUND: row(4001, 404, 'PTY_NOT_FOUND', 'PtyNotFoundError'),
  FILE_NOT_FOUND: row(5001, 404, 'FILE_NOT_FOUND', 'FileNotFoundError'),
  PERMISSION_DENIED: row(5002, 403, 'PERMISSION_DENIED', 'PermissionDeniedError'),
  ALREADY_EXISTS: row(5003, 409, 'ALREADY_EXISTS'),
  NOT_A_DIRECTORY: row(5004, 409, 'NOT_A_DIRECTORY'),
  IS_A_DIRECTORY: row(5005, 409, 'IS_A_DIRECTORY'),
  PATH_ESCAPES_WORKSPACE: row(5006, 403, 'PATH_ESCAPES_WORKSPACE', 'PermissionDeniedError'),
  QUOTA_EXCEEDED: row(5007, 507, 'QUOTA_EXCEEDED'),
  TOKEN_INVALID: row(6001, 401, 'TOKEN_INVALID'),
  TOKEN_EXPIRED: row(6002, 410, 'TOKEN_EXPIRED'),
  WORKSPACE_NOT_FOUND: row(7001, 404, 'WORKSPACE_NOT_FOUND', 'WorkspaceNotFoundError'),
  WORKSPACE_HAS_SANDBOXES: row(7002, 409, 'WORKSPACE_HAS_SANDBOXES'),
} as const satisfies Record<string, ErrorCodeInfo>

/** Symbolic name of an error code. */
export type ErrorKey = keyof typeof ErrorCodes

const byNumber = new Map<number, ErrorCodeInfo>(Object.values(ErrorCodes).map((r) => [r.code, r]))

/** Looks a numeric code up in the table; `undefined` for a code this version does not know. */
export function errorInfoForCode(code: number): ErrorCodeInfo | undefined {
  return byNumber.get(code)
}

/** Every row of the table, in code order. */
export function allErrorCodes(): readonly ErrorCodeInfo[] {
  return [...byNumber.values()].sort((a, b) => a.code - b.code)
}

/** The error body every 4xx/5xx response carries. */
export interface ErrorEnvelope {
  error: {
    code: number
    message: string
    details?: Record<string, unknown>
  }
}

/**
 * Codes the SDKs use for failures that happen on the client side, before or
 * instead of an answer from the server (their HTTP status is absent: 0 in
 * TypeScript, None in Python). Both SDKs use the same numbers.
 */
export const ClientErrorCodes = {
  /** A bad option or environment variable. */
  CONFIG_INVALID: 9000,
  /** The request could not be sent, or the connection broke. */
  NETWORK_ERROR: 9001,
  /** No answer within the configured timeout. */
  TIMEOUT: 9002,
  /** A success status whose body is not what the API promises. */
  BAD_RESPONSE: 9003,
  /** `process.exec` ran a command that exited non-zero. */
  COMMAND_FAILED: 9004,
  /** `nfs.mount`/`unmount` failed on this machine. */
  NFS_FAILED: 9005,
  /** The caller aborted the call (AbortSignal). */
  ABORTED: 9006,
  /** A local file or upload source could not be read or written. */
  LOCAL_IO: 9007,
} as const
