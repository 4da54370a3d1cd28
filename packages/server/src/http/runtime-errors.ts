import type { ErrorKey } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { RuntimeError, RuntimeErrorKind } from '../runtime/errors.js'

/**
 * The API code of each runtime failure. `not_found` is a sandbox whose
 * container is gone while its row still says running: not running, which
 * the reconciler will record. `conflict` and `failed` are the server's own
 * trouble (its containers are never handed to anyone else), so 500 with the
 * runtime's words.
 */
const KEY_FOR_KIND: Record<RuntimeErrorKind, ErrorKey> = {
  unavailable: 'RUNTIME_UNAVAILABLE',
  not_found: 'SANDBOX_NOT_RUNNING',
  image_not_found: 'TEMPLATE_NOT_FOUND',
  conflict: 'INTERNAL',
  invalid: 'VALIDATION',
  failed: 'INTERNAL',
}

/**
 * The API error a runtime failure is answered with: the one place runtime
 * kinds become codes. Services let RuntimeErrors through unchanged, so the
 * code that owns a sandbox's state can act on the kind; the HTTP layer
 * translates on the way out (see `toApiError`). The message is the
 * runtime's, which runtimes write for clients; details use the wire's
 * names (a sandbox's image is its template).
 */
export function apiErrorFromRuntime(error: RuntimeError): ApiError {
  const { sandboxId, image, platform, ociRuntime } = error.details
  const details: Record<string, unknown> = {
    ...(sandboxId !== undefined ? { id: sandboxId } : {}),
    ...(image !== undefined ? { template: image } : {}),
    ...(platform !== undefined ? { platform } : {}),
    ...(ociRuntime !== undefined ? { runtime: ociRuntime } : {}),
  }
  const message =
    error.kind === 'image_not_found' && image !== undefined
      ? `template ${image} not found${platform ? ` for platform ${platform} (DOCKER_PLATFORM)` : ''}`
      : error.message
  return new ApiError(
    KEY_FOR_KIND[error.kind],
    message,
    Object.keys(details).length ? details : undefined,
  )
}
