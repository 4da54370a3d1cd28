import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'

/** Routes anyone may call: liveness and readiness probes. */
const PUBLIC_PATHS = new Set(['/health', '/ready'])

/** SHA-256 of a key, the form keys are compared in (equal lengths for timingSafeEqual). */
export function keyDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/**
 * Checks `candidate` against every key in constant time: comparing SHA-256
 * digests gives equal-length buffers, and every key is compared whatever
 * matched before, so timing reveals neither which key nor how much matched.
 */
export function matchesAnyKey(candidate: string, keyDigests: readonly Buffer[]): boolean {
  const candidateDigest = keyDigest(candidate)
  let matched = false
  for (const known of keyDigests) {
    matched = timingSafeEqual(candidateDigest, known) || matched
  }
  return matched
}

/**
 * Accepts a request on the strength of a short-lived token instead of the
 * API key (browsers cannot set headers on a WebSocket): returns true when a
 * token was presented and is good, throws when one was presented and is not,
 * returns false when the route takes no token.
 */
export type TokenAuthenticator = (request: FastifyRequest) => boolean

/** What a route may declare in its `config`: `auth: false` serves it without a key. */
export interface AuthRouteConfig {
  auth?: boolean
}

/**
 * Requires one of `apiKeys` in `header` on every route but the public ones
 * (the probes, and routes whose config says `auth: false`); no keys disables auth.
 */
export function registerAuth(
  app: FastifyInstance,
  apiKeys: readonly string[],
  header: string,
  tokenAuth: TokenAuthenticator = () => false,
): void {
  if (apiKeys.length === 0) return
  const keyDigests = apiKeys.map(keyDigest)
  app.addHook('onRequest', async (request) => {
    const pathOnly = request.url.split('?')[0] ?? ''
    if (PUBLIC_PATHS.has(pathOnly)) return
    if ((request.routeOptions.config as AuthRouteConfig).auth === false) return
    if (!request.headers[header] && tokenAuth(request)) return
    const presented = request.headers[header]
    const candidate = Array.isArray(presented) ? presented[0] : presented
    if (!candidate) throw new ApiError('UNAUTHENTICATED', `missing API key in header ${header}`)
    if (!matchesAnyKey(candidate, keyDigests))
      throw new ApiError('UNAUTHENTICATED', 'invalid API key')
  })
}
