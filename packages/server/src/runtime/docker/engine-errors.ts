import { RuntimeError, type RuntimeErrorDetails } from '../errors.js'
import { engineStatus, isUnreachable } from './connection.js'

/** One call to the engine, as its failure is to be told. */
export interface EngineCall {
  /** What was asked, as an infinitive: "start the container". */
  action: string
  /** What a 404 from this call means: a missing image, or a sandbox without container. */
  missing?: { image: string; platform: string | null } | { sandboxId: string }
  /** Opening words of the message when the engine refuses the call (400). */
  refusal?: string
}

/** The engine's own words, without the status prefix docker-modem adds when it has none better. */
function engineReason(error: unknown): string {
  const json = (error as { json?: { message?: unknown } }).json
  if (json && typeof json.message === 'string' && json.message.trim()) return json.message.trim()
  return String((error as Error)?.message ?? error).trim()
}

/**
 * The RuntimeError for whatever a dockerode call threw: the one place
 * engine statuses are read. Unreachable (socket missing, refused, timed
 * out) is `unavailable`; 404 is what `call.missing` says, `failed` without
 * it; 409 `conflict`; 400 `invalid`; the rest `failed`.
 */
export function engineFailure(error: unknown, call: EngineCall): RuntimeError {
  if (error instanceof RuntimeError) return error
  const reason = engineReason(error)
  const missing = call.missing
  const details: RuntimeErrorDetails =
    missing && 'sandboxId' in missing ? { sandboxId: missing.sandboxId } : {}
  if (missing && 'image' in missing) details.image = missing.image
  const cause = { cause: error }
  if (isUnreachable(error)) {
    return new RuntimeError(
      'unavailable',
      `Docker engine unavailable, could not ${call.action}: ${reason}`,
      details,
      cause,
    )
  }
  const status = engineStatus(error)
  if (status === 404 && missing && 'image' in missing) {
    const { image, platform } = missing
    const forPlatform = platform ? ` for platform ${platform} (DOCKER_PLATFORM)` : ''
    return new RuntimeError(
      'image_not_found',
      `image ${image} not found${forPlatform}`,
      { image, ...(platform ? { platform } : {}) },
      cause,
    )
  }
  if (status === 404 && missing) {
    return new RuntimeError(
      'not_found',
      `sandbox ${details.sandboxId} has no container (could not ${call.action})`,
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
  if (status === 400) {
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
