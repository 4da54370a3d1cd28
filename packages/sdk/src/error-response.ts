/** Turning an HTTP error reply into the matching SDK error. */
import { codeForStatus, sdkError, type WorkspaceError } from './errors.js'

interface Envelope {
  error: { code: number; message: string; details?: Record<string, unknown> }
}

function parseEnvelope(body: Buffer): Envelope | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Partial<Envelope> | null
    const error = parsed?.error
    if (error && typeof error.code === 'number' && typeof error.message === 'string') {
      return parsed as Envelope
    }
  } catch {
    // Not JSON: mapped by status below.
  }
  return undefined
}

/** Builds the SDK error for a non-2xx reply: from its envelope, or by status when the body is not one. */
export function errorFromResponse(
  status: number,
  statusText: string | undefined,
  body: Buffer,
): WorkspaceError {
  const envelope = parseEnvelope(body)
  if (envelope) {
    const { code, message, details } = envelope.error
    return sdkError({ code, message, status, details: details ?? {} })
  }
  const excerpt = body.toString('utf8').trim().slice(0, 200)
  const reason = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`
  return sdkError({
    code: codeForStatus(status),
    status,
    message: excerpt ? `${reason}: ${excerpt}` : reason,
    details: {},
  })
}
