import http from 'node:http'
import type net from 'node:net'
import { once } from 'node:events'
import type { EgressDecisions } from './decisions.js'
import { endToEnd, refuse, relay } from './relay.js'
import { fillHeaders, fillText } from './secret-fill.js'
import { connectSpliced } from './splice.js'
import type { TlsTerminator } from './tls-terminator.js'
import { UpstreamPool } from './upstream-pool.js'

/** Where a request goes: host, port and the path to ask for there. */
interface Target {
  host: string
  port: number
  path: string
}

/** `host[:port]` of a Host header or CONNECT line; IPv6 in brackets. */
export function splitHostPort(
  text: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text.trim())
  if (!match?.[1]) return undefined
  const port = match[2] === undefined ? defaultPort : Number(match[2])
  if (port < 1 || port > 65535) return undefined
  return { host: match[1].replace(/^\[|\]$/g, '').toLowerCase(), port }
}

/**
 * Plain HTTP out of the sandboxes, judged per request (so a keep-alive
 * connection obeys a policy changed between two of its requests). As the
 * transparent gateway (port 80, names resolved to the gateway) the Host
 * header names the destination; as the explicit proxy (HTTP_PROXY) the
 * absolute URL does, and CONNECT opens a tunnel to any allowed host and
 * port. The sandbox's secrets for the destination are filled in (headers
 * and request target); a CONNECT to a host with secrets is handed to the
 * TLS terminator rather than tunnelled untouched.
 */
export class HttpGateway {
  readonly #decisions: EgressDecisions
  readonly #explicit: boolean
  readonly #terminator: TlsTerminator
  readonly #server: http.Server
  readonly #pool = new UpstreamPool((options) => new http.Agent(options))

  constructor(decisions: EgressDecisions, explicit: boolean, terminator: TlsTerminator) {
    this.#decisions = decisions
    this.#explicit = explicit
    this.#terminator = terminator
    this.#server = http.createServer((request, response) => void this.#forward(request, response))
    if (explicit) {
      this.#server.on(
        'connect',
        (request: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
          void this.#tunnel(request, socket, head),
      )
    }
    this.#server.on('clientError', (_error, socket) => socket.destroy())
  }

  async listen(port: number, address: string): Promise<void> {
    this.#server.listen(port, address)
    await once(this.#server, 'listening')
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    this.#pool.close()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Closes the pooled upstream connections of a sandbox that is gone. */
  forget(sandboxId: string): void {
    this.#pool.forget(sandboxId)
  }

  #target(request: http.IncomingMessage): Target | undefined {
    const url = request.url ?? '/'
    if (!this.#explicit) {
      const host = splitHostPort(request.headers.host ?? '', 80)
      // Only port 80 reaches this listener: a Host naming another port is not what was dialled.
      return host ? { host: host.host, port: 80, path: url } : undefined
    }
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return undefined
    }
    if (parsed.protocol !== 'http:') return undefined
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase()
    return { host, port: Number(parsed.port || 80), path: `${parsed.pathname}${parsed.search}` }
  }

  async #forward(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const sandboxId = await this.#decisions.sandboxAt(request.socket.remoteAddress ?? '')
    if (!sandboxId) return refuse(response, 403, 'unknown source')
    const target = this.#target(request)
    if (!target) return refuse(response, 400, 'no destination in the request')
    const decision = await this.#decisions.connect(sandboxId, target.host, target.port)
    if (!decision.allowed) {
      return refuse(
        response,
        403,
        `${target.host}:${target.port} is refused by the sandbox's network policy (${decision.reason})`,
      )
    }
    const secrets = decision.secrets?.secrets ?? []
    const options: http.RequestOptions = {
      host: decision.address,
      port: target.port,
      method: request.method,
      path: fillText(target.path, secrets),
      headers: fillHeaders(endToEnd(request.headers), secrets),
      setHost: false,
    }
    const agent = this.#pool.agentFor(sandboxId)
    const open = (fresh: boolean) =>
      http.request({ ...options, agent: fresh ? this.#pool.oneShot : agent })
    relay(request, response, open, `${target.host}:${target.port}`)
  }

  async #tunnel(request: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy())
    const sandboxId = await this.#decisions.sandboxAt(socket.remoteAddress ?? '')
    const target = splitHostPort(request.url ?? '', 443)
    const decision =
      sandboxId && target
        ? await this.#decisions.connect(sandboxId, target.host, target.port)
        : undefined
    if (!decision?.allowed || !target || !sandboxId) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n')
      return
    }
    if (decision.secrets) {
      // Requests to this host get secrets filled in: the gateway is the TLS server the client meets.
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      await this.#terminator.take(socket, head, { sandboxId, ...target }, decision.secrets.ca)
      return
    }
    const upstream = connectSpliced(socket, target.port, decision.address)
    upstream.on('error', () => {
      if (!socket.writableEnded) socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n')
      upstream.destroy()
    })
    upstream.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      socket.pipe(upstream)
      socket.on('close', () => upstream.destroy())
      upstream.on('close', () => socket.destroy())
    })
  }
}
