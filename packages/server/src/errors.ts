import { ErrorCodes, type ErrorEnvelope, type ErrorKey } from '@workspace-manager/protocol'

/**
 * An error with a code from the protocol table. A runtime's `RuntimeError`
 * is given its code by the HTTP layer; anything else thrown from a service
 * that is not an `ApiError` is answered as 1000 internal, with its message
 * kept out of the reply.
 */
export class ApiError extends Error {
  readonly key: ErrorKey
  readonly details: Record<string, unknown> | undefined

  constructor(key: ErrorKey, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'ApiError'
    this.key = key
    this.details = details
  }

  /** Numeric code of this error. */
  get code(): number {
    return ErrorCodes[this.key].code
  }

  /** HTTP status this error is answered with. */
  get status(): number {
    return ErrorCodes[this.key].status
  }

  /** The JSON body of the error response. */
  toEnvelope(): ErrorEnvelope {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    }
  }
}
