import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../errors.js'

/** Routes anyone may call: liveness and readiness probes. */
const PUBLIC_PATHS = new Set(['/health', '/ready'])

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/**
 * Checks `candidate` against every key in constant time: comparing SHA-256
 * digests gives equal-length buffers, and every key is compared whatever
 * matched before, so timing reveals neither which key nor how much matched.
 */
export function matchesAnyKey(candidate: string, keyDigests: readonly Buffer[]): boolean {
  const candidateDigest = digest(candidate)
  let matched = false
  for (const keyDigest of keyDigests) {
    matched = timingSafeEqual(candidateDigest, keyDigest) || matched
  }
  return matched
}

/** Requires one of `apiKeys` in `header` on every non-public route; no keys disables auth. */
export function registerAuth(
  app: FastifyInstance,
  apiKeys: readonly string[],
  header: string,
): void {
  if (apiKeys.length === 0) return
  const keyDigests = apiKeys.map(digest)
  app.addHook('onRequest', async (request) => {
    const pathOnly = request.url.split('?')[0] ?? ''
    if (PUBLIC_PATHS.has(pathOnly)) return
    const presented = request.headers[header]
    const candidate = Array.isArray(presented) ? presented[0] : presented
    if (!candidate) throw new ApiError('UNAUTHENTICATED', `missing API key in header ${header}`)
    if (!matchesAnyKey(candidate, keyDigests))
      throw new ApiError('UNAUTHENTICATED', 'invalid API key')
  })
}
