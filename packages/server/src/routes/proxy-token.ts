/**
 * Proxy tokens: how a browser tab, which cannot send the API key header,
 * opens a port through the proxy. A token minted with the key is presented
 * once as `?wm_proxy_token=`; the proxy swaps it for a cookie scoped to that
 * sandbox and port, which then carries every request and WebSocket the app
 * makes under its prefix.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { parsePort } from '../services/port-proxy.js'
import type { SandboxService } from '../services/sandboxes.js'
import type { TokenClaims, TokenSigner } from '../services/tokens.js'
import { COMMON_ERRORS, IdString, errorResponses } from './common.js'
import { PortString } from './ports.js'
import { cookieValue, matchProxyUrl } from './proxy-headers.js'

/** Seconds a proxy token (and the cookie made from it) stays good. */
export const PROXY_TOKEN_TTL_SECONDS = 300
/** The query parameter a proxy token is presented in, once. */
export const PROXY_TOKEN_PARAM = 'wm_proxy_token'
/** The cookie that carries the token after the first request. */
export const PROXY_COOKIE = 'wm_proxy'

/** A token found on a proxy request, and where it was found. */
export interface PresentedProxyToken {
  token: string
  from: 'query' | 'cookie'
}

/** The proxy token a request presents: the query parameter first, else the cookie. */
export function presentedProxyToken(raw: IncomingMessage): PresentedProxyToken | undefined {
  const url = raw.url ?? ''
  const q = url.indexOf('?')
  if (q !== -1) {
    const token = new URLSearchParams(url.slice(q + 1)).get(PROXY_TOKEN_PARAM)
    if (token !== null) return { token, from: 'query' }
  }
  const cookie = cookieValue(raw.headers.cookie, PROXY_COOKIE)
  return cookie === undefined ? undefined : { token: cookie, from: 'cookie' }
}

/**
 * Checks the proxy token of a request to the proxy: the claims when one is
 * presented and good for this sandbox and port; undefined when the request
 * is not to the proxy or presents none; throws 401 6001 / 410 6002 (or 400
 * for a bad port) when it presents a bad one.
 */
export function verifyProxyToken(
  tokens: TokenSigner,
  raw: IncomingMessage,
  now = Date.now(),
): TokenClaims | undefined {
  const target = matchProxyUrl(raw.url ?? '')
  if (!target) return undefined
  const presented = presentedProxyToken(raw)
  if (!presented) return undefined
  const port = parsePort(target.port)
  return tokens.verify(presented.token, { sub: target.id, op: 'proxy', path: String(port) }, now)
}

/** The query string (with its `?`, or empty) without the proxy token parameter. */
export function queryWithoutToken(query: string): string {
  if (!query) return ''
  const params = new URLSearchParams(query.slice(1))
  if (!params.has(PROXY_TOKEN_PARAM)) return query
  params.delete(PROXY_TOKEN_PARAM)
  const rest = params.toString()
  return rest ? `?${rest}` : ''
}

/** The `Set-Cookie` value that carries `token` for one sandbox port until `exp`. */
export function proxyCookie(
  token: string,
  target: { sandboxId: string; port: number; exp: number; secure: boolean },
  now = Date.now(),
): string {
  const maxAge = Math.max(0, Math.floor(target.exp - now / 1000))
  return (
    `${PROXY_COOKIE}=${token}; Path=/v1/sandboxes/${target.sandboxId}/proxy/${target.port}/; ` +
    `Max-Age=${maxAge}; HttpOnly; SameSite=Strict${target.secure ? '; Secure' : ''}`
  )
}

/**
 * `POST /v1/sandboxes/{id}/ports/{port}/proxy-token`: mints a proxy token.
 * It lives beside the port hint rather than under the proxy prefix, where it
 * would hide the same path of the app being proxied.
 */
export function proxyTokenRoutes(
  app: FastifyInstance,
  opts: { sandboxes: SandboxService; tokens: TokenSigner },
): void {
  const { sandboxes, tokens } = opts
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  typed.post(
    '/v1/sandboxes/:id/ports/:port/proxy-token',
    {
      schema: {
        tags: ['ports'],
        summary: `Mint a token (good for ${PROXY_TOKEN_TTL_SECONDS} s) that opens the port through the proxy in a browser: open \`url\`, which swaps it for a cookie scoped to that port`,
        params: Type.Object({ id: IdString, port: PortString }),
        response: {
          201: Type.Object({
            token: Type.String(),
            url: Type.String({ description: 'The proxy path with ?wm_proxy_token=' }),
            expires_at: Type.String(),
          }),
          ...errorResponses(...COMMON_ERRORS, 404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const port = parsePort(request.params.port)
      await sandboxes.require(id)
      const exp = Math.floor(Date.now() / 1000) + PROXY_TOKEN_TTL_SECONDS
      const token = tokens.sign({ sub: id, op: 'proxy', path: String(port), exp })
      return reply.status(201).send({
        token,
        url: `/v1/sandboxes/${id}/proxy/${port}/?${PROXY_TOKEN_PARAM}=${encodeURIComponent(token)}`,
        expires_at: new Date(exp * 1000).toISOString(),
      })
    },
  )
}
