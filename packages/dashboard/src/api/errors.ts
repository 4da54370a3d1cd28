/**
 * An error the API answered (`{"error":{"code","message","details"}}`), or
 * one the dashboard met on its own way there (network down: code 0).
 */
export class ApiError extends Error {
  readonly code: number
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(code: number, status: number, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.details = details
  }
}

/** Reads an error reply's envelope; a body that is not one still gives its status. */
export function errorFromReply(status: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; details?: unknown }
    }
    const error = parsed.error
    if (error && typeof error.code === 'number' && typeof error.message === 'string') {
      const details =
        error.details && typeof error.details === 'object'
          ? (error.details as Record<string, unknown>)
          : undefined
      return new ApiError(error.code, status, error.message, details)
    }
  } catch {
    // Not JSON: a proxy in front of the server, say; the status is all there is.
  }
  return new ApiError(0, status, `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`)
}

/** Code and message of any thrown value, for showing. */
export function describeError(error: unknown): { code: number | null; message: string } {
  if (error instanceof ApiError) return { code: error.code || null, message: error.message }
  if (error instanceof Error) return { code: null, message: error.message }
  return { code: null, message: String(error) }
}
