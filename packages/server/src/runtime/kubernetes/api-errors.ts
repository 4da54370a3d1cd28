import { ApiException } from '@kubernetes/client-node'
import { RuntimeError, type RuntimeErrorDetails } from '../errors.js'

/** One call to the Kubernetes API, as its failure is to be told. */
export interface ApiCall {
  /** What was asked, as an infinitive: "create the pod". */
  action: string
  /** A 404 means the sandbox has no pod (or Secret): `not_found` for it. */
  sandboxId?: string
  /** Opening words of the message when the API refuses the object (400, 422). */
  refusal?: string
}

/** Network failures of node-fetch and ws: the API server does not answer. */
const UNREACHABLE =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOENT|UND_ERR_.*|ERR_TLS_.*|.*CERT.*|DEPTH_ZERO_SELF_SIGNED_CERT)$/

/** The HTTP status of a failed call: the API's, or the one a websocket upgrade was refused with. */
export function apiStatus(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code
  const message = String((error as { message?: unknown })?.message ?? '')
  const upgrade = /Unexpected server response: (\d{3})/.exec(message)
  return upgrade ? Number(upgrade[1]) : undefined
}

function isUnreachable(error: unknown): boolean {
  const err = error as { code?: unknown; type?: unknown; name?: unknown; error?: unknown }
  if (typeof err?.code === 'string' && UNREACHABLE.test(err.code)) return true
  if (err?.type === 'system' || err?.name === 'FetchError' || err?.name === 'AbortError')
    return true
  // A websocket's error event wraps the socket's error.
  return err?.error !== undefined && err.error !== error && isUnreachable(err.error)
}

/** The API's own words: the Status object's message when it sent one. */
function apiReason(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown
    const parsed = typeof body === 'string' ? safeJson(body) : body
    const message = (parsed as { message?: unknown } | undefined)?.message
    if (typeof message === 'string' && message.trim()) return message.trim()
    return `HTTP ${error.code}`
  }
  const err = error as { name?: unknown; message?: unknown; error?: { message?: unknown } }
  // The request's own time limit (client.ts) aborted it: the API server took too long.
  if (err?.name === 'AbortError') return 'no answer in time'
  return String(err?.message ?? err?.error?.message ?? error).trim()
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return { message: text }
  }
}

/**
 * The RuntimeError for whatever a Kubernetes API call threw: the one place
 * the API's statuses are read. No answer (refused, reset, TLS) and 401, 403
 * (the server's account may not do it: it cannot run sandboxes as
 * configured), 502-504 are `unavailable`; 404 `not_found` when the call was
 * about a sandbox, else `failed`; 409 `conflict`; 400 and 422 `invalid`;
 * the rest `failed`.
 */
export function apiFailure(error: unknown, call: ApiCall): RuntimeError {
  if (error instanceof RuntimeError) return error
  const reason = apiReason(error)
  const details: RuntimeErrorDetails = call.sandboxId ? { sandboxId: call.sandboxId } : {}
  const cause = { cause: error }
  const status = apiStatus(error)
  if (status === undefined && isUnreachable(error)) {
    return new RuntimeError(
      'unavailable',
      `Kubernetes API unavailable, could not ${call.action}: ${reason}`,
      details,
      cause,
    )
  }
  if (status === 401 || status === 403 || status === 502 || status === 503 || status === 504) {
    return new RuntimeError(
      'unavailable',
      `the Kubernetes API refused to ${call.action} (${status}): ${reason}`,
      details,
      cause,
    )
  }
  if (status === 404 && call.sandboxId) {
    return new RuntimeError(
      'not_found',
      `sandbox ${call.sandboxId} has no container (could not ${call.action})`,
      details,
      cause,
    )
  }
  if (status === 409) {
    return new RuntimeError(
      'conflict',
      `the engine could not ${call.action}: ${reason}`,
      details,
      cause,
    )
  }
  if (status === 400 || status === 422) {
    const opening = call.refusal ?? `the engine refused to ${call.action}`
    return new RuntimeError('invalid', `${opening}: ${reason}`, details, cause)
  }
  return new RuntimeError(
    'failed',
    `the engine could not ${call.action}: ${reason}`,
    details,
    cause,
  )
}

/** Runs `call`, answering `undefined` for a 404 and translating any other failure. */
export async function unlessMissing<T>(
  call: () => Promise<T>,
  what: ApiCall,
): Promise<T | undefined> {
  try {
    return await call()
  } catch (error) {
    if (apiStatus(error) === 404) return undefined
    throw apiFailure(error, what)
  }
}

/** Runs `call`, translating its failure. */
export async function api<T>(call: () => Promise<T>, what: ApiCall): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw apiFailure(error, what)
  }
}
