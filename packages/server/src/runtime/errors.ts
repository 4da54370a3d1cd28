/**
 * What went wrong in a runtime, in the runtime's own terms. Runtimes throw
 * nothing else: each translates its engine's failures where it calls the
 * engine, and the HTTP layer alone turns a kind into an API error code, so
 * that services can act on the kind (retry while `unavailable`, treat
 * `not_found` as a container that is gone) without knowing the engine.
 */
export type RuntimeErrorKind =
  /** The engine does not answer, or cannot run sandboxes as configured. */
  | 'unavailable'
  /** The sandbox has no container. */
  | 'not_found'
  /** The image a sandbox is to start from does not exist (images are never pulled). */
  | 'image_not_found'
  /** The container's state forbids the call (a name in use, pausing a stopped container). */
  | 'conflict'
  /** The engine refused the spec or the call; the message has the engine's words. */
  | 'invalid'
  /** Anything else the engine failed at. */
  | 'failed'

/** Facts about a runtime failure, safe to show to the client that caused it. */
export interface RuntimeErrorDetails {
  sandboxId?: string
  image?: string
  /** The platform asked for, when the image is missing for it only. */
  platform?: string
  /** The OCI runtime asked for, when the engine cannot run it. */
  ociRuntime?: string
}

/**
 * A runtime failure: `kind` says what to do about it, `message` says it in
 * words a client may read (never secrets from the spec), `details` names
 * what it was about.
 */
export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind
  readonly details: RuntimeErrorDetails

  constructor(
    kind: RuntimeErrorKind,
    message: string,
    details: RuntimeErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'RuntimeError'
    this.kind = kind
    this.details = details
  }
}

/** Whether `error` is a RuntimeError of `kind` (any kind when omitted). */
export function isRuntimeError(error: unknown, kind?: RuntimeErrorKind): error is RuntimeError {
  return error instanceof RuntimeError && (kind === undefined || error.kind === kind)
}
