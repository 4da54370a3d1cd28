/**
 * Pure helpers of the port proxy: which paths it serves, and which headers
 * go through in each direction.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** `/v1/sandboxes/{id}/proxy/{port}` and what follows it, on the raw request path. */
export const PROXY_PATH = /^\/v1\/sandboxes\/([^/?]+)\/proxy\/([^/?]+)(\/[^?]*)?$/
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/

/** Headers about one connection, never passed on (RFC 9110 §7.6.1), plus `expect`: Node answers it. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
])

/** Methods proxied over HTTP (Upgrade requests of any method are passed through raw). */
export const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** Headers the proxy sets itself. */
export const FORWARDED = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-prefix',
])

/** Splits a raw request target into the proxy's path parts; undefined when it is not a proxy path. */
export function matchProxyUrl(
  rawUrl: string,
): { id: string; port: string; path: string; query: string } | undefined {
  const q = rawUrl.indexOf('?')
  const pathOnly = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const match = PROXY_PATH.exec(pathOnly)
  if (!match) return undefined
  return {
    id: match[1]!,
    port: match[2]!,
    path: match[3] || '/',
    query: q === -1 ? '' : rawUrl.slice(q),
  }
}

/** The value of cookie `name` in a `Cookie` header, if any. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=')
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim()
  }
  return undefined
}

/** A `Cookie` header without cookie `name`; undefined when nothing else is left. */
export function withoutCookie(header: string, name: string): string | undefined {
  const kept = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair && pair.slice(0, Math.max(pair.indexOf('='), 0)).trim() !== name)
  return kept.length ? kept.join('; ') : undefined
}

/** Names listed in a `Connection` header: hop-by-hop for this message only. */
export function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '')
  return new Set(
    joined
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  )
}

/**
 * The request headers to send to the sandbox, in their original order and
 * case: without the API key header (and the `dropCookie` cookie), hop-by-hop headers (except what an
 * upgrade needs, when `upgrade`), and with `X-Forwarded-For/-Proto/-Host/
 * -Prefix` set. `Host` is passed on unchanged.
 */
export function forwardRequestHeaders(
  raw: IncomingMessage,
  options: { apiKeyHeader: string; prefix: string; upgrade: boolean; dropCookie?: string },
): Array<[string, string]> {
  const listed = connectionTokens(raw.headers.connection)
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < raw.rawHeaders.length; i += 2) {
    const name = raw.rawHeaders[i]!
    let value = raw.rawHeaders[i + 1]!
    const lower = name.toLowerCase()
    if (lower === options.apiKeyHeader || FORWARDED.has(lower)) continue
    if (lower === 'cookie' && options.dropCookie) {
      // The proxy's own credential is for the proxy, never for the app.
      const rest = withoutCookie(value, options.dropCookie)
      if (rest === undefined) continue
      value = rest
    }
    if (options.upgrade) {
      // Bytes pass through unchanged after the head, so framing headers stay.
      if (lower === 'connection') continue // re-added below
      if (lower === 'upgrade' || lower === 'transfer-encoding' || lower === 'content-length') {
        out.push([name, value])
        continue
      }
    }
    if (HOP_BY_HOP.has(lower) || (listed.has(lower) && lower !== 'upgrade')) continue
    out.push([name, value])
  }
  if (options.upgrade) out.push(['Connection', 'Upgrade'])
  const remote = raw.socket.remoteAddress ?? ''
  const priorFor = raw.headers['x-forwarded-for']
  const prior = Array.isArray(priorFor) ? priorFor.join(', ') : priorFor
  out.push(['X-Forwarded-For', prior ? `${prior}, ${remote}` : remote])
  out.push([
    'X-Forwarded-Proto',
    (raw.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
  ])
  if (raw.headers.host) out.push(['X-Forwarded-Host', raw.headers.host])
  out.push(['X-Forwarded-Prefix', options.prefix])
  return out
}

/** Header pairs as an object for `http.request` (repeated names become arrays). */
export function headerObject(pairs: Array<[string, string]>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase()
    const prior = headers[lower]
    headers[lower] =
      prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value]
  }
  return headers
}

/** The response headers to pass back: hop-by-hop ones dropped, repeated names kept. */
export function responseHeaders(response: IncomingMessage): Record<string, string | string[]> {
  const listed = connectionTokens(response.headers.connection)
  const pairs: Array<[string, string]> = []
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i]!
    const lower = name.toLowerCase()
    // The server's own request id stays (it names this proxied request in the logs).
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || lower === 'x-request-id') continue
    pairs.push([name, response.rawHeaders[i + 1]!])
  }
  return headerObject(pairs)
}

/** Whether the request carries a body framed by chunked transfer coding. */
export function isChunked(headers: IncomingHttpHeaders): boolean {
  return connectionTokens(headers['transfer-encoding']).has('chunked')
}
