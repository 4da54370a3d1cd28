import http, { type IncomingMessage } from 'node:http'
import type net from 'node:net'
import { Readable } from 'node:stream'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ApiError } from '../errors.js'
import { keyDigest, matchesAnyKey } from '../http/auth.js'
import { toApiError } from '../http/error-handler.js'
import { parsePort, type PortConnector } from '../services/port-proxy.js'
import type { TokenSigner } from '../services/tokens.js'
import { COMMON_ERRORS, IdString, errorResponses } from './common.js'
import { PortString } from './ports.js'
import {
  ID_PATTERN,
  PROXY_METHODS,
  matchProxyUrl,
  forwardRequestHeaders,
  headerObject,
  responseHeaders,
  isChunked,
} from './proxy-headers.js'
import {
  PROXY_COOKIE,
  presentedProxyToken,
  proxyCookie,
  queryWithoutToken,
  verifyProxyToken,
} from './proxy-token.js'

export interface PortProxyOptions {
  ports: PortConnector
  /** API keys and their header (lower case), as for every route; no keys disables auth. */
  apiKeys: readonly string[]
  apiKeyHeader: string
  /**
   * Signs and checks proxy tokens (`?wm_proxy_token=`, then the `wm_proxy`
   * cookie), which stand in for the key; without it only the key is taken.
   */
  tokens?: TokenSigner
  /**
   * Called when a proxied upgrade (WebSocket) connection opens; the function
   * it returns is called once when that connection ends. HTTP requests go
   * through Fastify's hooks instead.
   */
  onConnection?: (sandboxId: string) => () => void
}

/** Whether a request is to the proxy routes (where a proxy token may stand in for the key). */
export function isProxyRoute(request: FastifyRequest): boolean {
  const url = request.routeOptions.url
  return url === '/v1/sandboxes/:id/proxy/:port/*' || url === '/v1/sandboxes/:id/proxy/:port'
}

/** The prefix the proxied service is mounted under, as sent in `X-Forwarded-Prefix`. */
export function proxyPrefix(sandboxId: string, port: number): string {
  return `/v1/sandboxes/${sandboxId}/proxy/${port}`
}

/**
 * The reverse proxy to ports inside sandboxes: `ANY /v1/sandboxes/{id}/
 * proxy/{port}/*` speaks HTTP/1.1 to `127.0.0.1:{port}` in the sandbox over
 * a fresh agent stream per request; an Upgrade request (WebSocket) to the
 * same paths is passed through raw, handled on the server's `upgrade` event
 * before @fastify/websocket sees it. In a scope of its own for the
 * pass-through body parser.
 */
export async function portProxyRoutes(
  app: FastifyInstance,
  options: PortProxyOptions,
): Promise<void> {
  const { ports, apiKeyHeader } = options
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const ProxyParams = Type.Object({
    id: IdString,
    port: PortString,
    '*': Type.Optional(Type.String()),
  })

  typed.route({
    method: PROXY_METHODS,
    url: '/v1/sandboxes/:id/proxy/:port/*',
    schema: {
      tags: ['ports'],
      summary:
        'Reverse proxy (HTTP and WebSocket) to 127.0.0.1:{port} inside the sandbox, through its agent',
      params: ProxyParams,
      response: {
        // Whatever the service in the sandbox answers is passed through as it is.
        default: Type.Unknown({ description: 'The reply of the service inside the sandbox' }),
        303: Type.Null({
          description:
            'With ?wm_proxy_token=: Location is the same URL without it; Set-Cookie wm_proxy',
        }),
        ...errorResponses(...COMMON_ERRORS, 404, 409, 410, 502, 503),
      },
    },
    handler: async (request, reply) => {
      const port = parsePort(request.params.port)
      const target = matchProxyUrl(request.raw.url ?? '')
      if (!target) throw new ApiError('VALIDATION', 'not a proxy path')
      if (options.tokens && presentedProxyToken(request.raw)?.from === 'query') {
        return swapTokenForCookie(request, reply, options.tokens, {
          ...target,
          sandboxId: request.params.id,
          port,
        })
      }
      return proxyHttp(request, reply, {
        sandboxId: request.params.id,
        port,
        path: target.path + target.query,
      })
    },
  })

  typed.route({
    method: PROXY_METHODS,
    url: '/v1/sandboxes/:id/proxy/:port',
    schema: {
      tags: ['ports'],
      summary: 'Redirects (308) to the same path with a trailing slash',
      params: ProxyParams,
      response: {
        308: Type.Null({ description: 'Location: the same path with a trailing slash' }),
        ...errorResponses(...COMMON_ERRORS, 404),
      },
    },
    handler: async (request, reply) => {
      parsePort(request.params.port)
      // A sandbox that is not there is 404, not a redirect to a path that is 404 too.
      await ports.requireSandbox(request.params.id)
      const raw = request.raw.url ?? ''
      const q = raw.indexOf('?')
      const location = q === -1 ? `${raw}/` : `${raw.slice(0, q)}/${raw.slice(q)}`
      return reply.redirect(location, 308)
    },
  })

  /**
   * Answers a request carrying `?wm_proxy_token=` with a 303 to the same URL
   * without it, setting the token as a cookie for this sandbox port: the
   * token leaves the address bar (and the app's Referer) at once.
   */
  async function swapTokenForCookie(
    request: FastifyRequest,
    reply: FastifyReply,
    tokens: TokenSigner,
    target: { sandboxId: string; port: number; path: string; query: string },
  ): Promise<FastifyReply> {
    const { sandboxId, port } = target
    const claims = verifyProxyToken(tokens, request.raw)!
    const presented = presentedProxyToken(request.raw)!
    const prefix = proxyPrefix(sandboxId, port)
    const secure = Boolean((request.raw.socket as { encrypted?: boolean }).encrypted)
    void reply.header(
      'set-cookie',
      proxyCookie(presented.token, { sandboxId, port, exp: claims.exp, secure }),
    )
    void reply.header('cache-control', 'no-store')
    return reply.redirect(`${prefix}${target.path}${queryWithoutToken(target.query)}`, 303)
  }

  async function proxyHttp(
    request: FastifyRequest,
    reply: FastifyReply,
    target: { sandboxId: string; port: number; path: string },
  ): Promise<FastifyReply> {
    const raw = request.raw
    const socket = await ports.connect(target.sandboxId, target.port)
    const headers = headerObject(
      forwardRequestHeaders(raw, {
        apiKeyHeader,
        prefix: proxyPrefix(target.sandboxId, target.port),
        upgrade: false,
        dropCookie: PROXY_COOKIE,
      }),
    )
    if (headers['content-length'] === undefined && isChunked(raw.headers)) {
      headers['transfer-encoding'] = 'chunked'
    }
    const upstream = http.request({
      createConnection: () => socket,
      method: raw.method,
      path: target.path,
      headers,
    })
    // The client going away (or the reply ending) ends the agent stream.
    reply.raw.on('close', () => upstream.destroy())
    const body = request.body instanceof Readable ? request.body : raw
    body.on('error', (error) => upstream.destroy(error))
    body.pipe(upstream)

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve)
      upstream.once('error', (error) =>
        reject(
          new ApiError(
            'PORT_UNREACHABLE',
            `the service on port ${target.port} in sandbox ${target.sandboxId} did not answer: ${error.message}`,
            { sandbox_id: target.sandboxId, port: target.port },
          ),
        ),
      )
    })
    // Later failures end the reply (the response stream errors), not the process.
    upstream.on('error', () => undefined)
    void reply.code(response.statusCode ?? 502).headers(responseHeaders(response))
    return reply.send(response)
  }

  // ----- Upgrade requests (WebSocket and any other protocol) -----

  const keyDigests = options.apiKeys.map(keyDigest)

  function authenticate(raw: IncomingMessage): void {
    if (keyDigests.length === 0) return
    const presented = raw.headers[apiKeyHeader]
    const candidate = Array.isArray(presented) ? presented[0] : presented
    // The same rule as for HTTP requests: no key, then a proxy token may stand in.
    if (!candidate && options.tokens && verifyProxyToken(options.tokens, raw)) return
    if (!candidate)
      throw new ApiError('UNAUTHENTICATED', `missing API key in header ${apiKeyHeader}`)
    if (!matchesAnyKey(candidate, keyDigests))
      throw new ApiError('UNAUTHENTICATED', 'invalid API key')
  }

  async function proxyUpgrade(
    raw: IncomingMessage,
    client: net.Socket,
    head: Buffer,
  ): Promise<void> {
    const requestId = randomUUID()
    const log = app.log.child({ reqId: requestId })
    const target = matchProxyUrl(raw.url ?? '')!
    let upstream: net.Socket
    let port: number
    try {
      authenticate(raw)
      if (!ID_PATTERN.test(target.id)) {
        throw new ApiError('VALIDATION', `invalid sandbox id "${target.id.slice(0, 200)}"`)
      }
      port = parsePort(target.port)
      upstream = await ports.connect(target.id, port)
    } catch (caught) {
      const error = toApiError(caught as Error)
      if (error.status >= 500) log.warn({ err: caught, url: raw.url }, 'proxied upgrade failed')
      else log.info({ code: error.code, message: error.message }, 'proxied upgrade refused')
      writeRawError(client, error, requestId)
      return
    }
    if (client.destroyed) {
      upstream.destroy()
      return
    }
    const headLines = forwardRequestHeaders(raw, {
      apiKeyHeader,
      prefix: proxyPrefix(target.id, port),
      upgrade: true,
      dropCookie: PROXY_COOKIE,
    })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')
    upstream.write(
      `${raw.method} ${target.path}${queryWithoutToken(target.query)} HTTP/1.1\r\n${headLines}\r\n`,
    )
    if (head.length) upstream.write(head)
    log.info({ sandboxId: target.id, port, url: raw.url }, 'proxied upgrade')
    const ended = options.onConnection?.(target.id)
    open.add(client)
    client.once('close', () => {
      open.delete(client)
      ended?.()
    })
    splice(client, upstream)
  }

  // Proxied upgrades are no longer HTTP connections: closing the server
  // would wait for them forever.
  const open = new Set<net.Socket>()
  app.addHook('preClose', async () => {
    for (const socket of open) socket.destroy()
  })

  let takenOver: Array<(...args: unknown[]) => void> = []
  const onUpgrade = (raw: IncomingMessage, client: net.Socket, head: Buffer): void => {
    if (!matchProxyUrl(raw.url ?? '')) {
      for (const listener of takenOver) listener.call(app.server, raw, client, head)
      return
    }
    client.on('error', () => client.destroy())
    proxyUpgrade(raw, client, head).catch((error: unknown) => {
      app.log.error({ err: error }, 'proxied upgrade failed')
      client.destroy()
    })
  }

  // Every other upgrade listener (@fastify/websocket's) now only hears
  // requests for other paths: it would otherwise answer these itself.
  app.addHook('onReady', async () => {
    takenOver = app.server.listeners('upgrade') as typeof takenOver
    app.server.removeAllListeners('upgrade')
    app.server.on('upgrade', onUpgrade)
  })
  app.addHook('onClose', async () => {
    app.server.removeListener('upgrade', onUpgrade)
    for (const listener of takenOver) app.server.on('upgrade', listener)
  })
}

/** Answers an upgrade request that is refused with the error envelope, then closes. */
function writeRawError(socket: net.Socket, error: ApiError, requestId: string): void {
  if (socket.destroyed) return
  const body = JSON.stringify(error.toEnvelope())
  socket.end(
    `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  )
}

/**
 * Copies bytes both ways between two connections. When one side ends its
 * stream the other side's write half is ended (half-close) and the other
 * direction carries on; a connection that fails or closes while the other
 * still has bytes for it takes the other one down too.
 */
export function splice(a: net.Socket, b: net.Socket): void {
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    ;(self as net.Socket & { allowHalfOpen: boolean }).allowHalfOpen = true
    self.on('error', () => other.destroy())
    self.on('close', () => {
      if (!other.readableEnded) other.destroy()
    })
    self.pipe(other)
  }
}
