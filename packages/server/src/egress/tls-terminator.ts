import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import type { CertificateAuthority, LeafCertificates } from './certificates.js'
import type { EgressDecisions } from './decisions.js'
import { endToEnd, refuse, relay } from './relay.js'
import { fillHeaders, fillText } from './secret-fill.js'
import { UpstreamPool } from './upstream-pool.js'

/** Whom a terminated connection belongs to, and where its requests go. */
export interface TerminatedTarget {
  sandboxId: string
  host: string
  port: number
}

/**
 * `socket` as a plain stream that starts with `head` (bytes already read
 * from it, such as the ClientHello whose server name was looked at). A TLS
 * socket made on a net.Socket reads its handle directly and would miss
 * them; on a stream it reads through the stream, so nothing is lost.
 */
function streamOf(socket: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => void socket.end(done),
    destroy: (error, done) => {
      socket.destroy()
      done(error)
    },
  })
  if (head.length) stream.push(head)
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause()
  })
  socket.on('end', () => stream.push(null))
  socket.on('close', () => stream.destroy())
  socket.on('error', () => stream.destroy())
  socket.resume()
  return stream
}

/**
 * Terminates TLS for the hosts a sandbox has secrets for, so that their
 * placeholders can be replaced in each request: the sandbox meets a
 * certificate for the host signed by its own CA (which it trusts, and no
 * other sandbox does), and the gateway makes its own TLS connection to the
 * real host, checking the host's certificate against the public roots (and
 * WM_EGRESS_CA_FILE). Each request is judged again (a policy change applies
 * to the next request on a kept-alive connection) and carries only the
 * secrets whose hosts name the destination. HTTP/1.1 only (offered by ALPN).
 */
export class TlsTerminator {
  readonly #decisions: EgressDecisions
  readonly #certificates: LeafCertificates
  readonly #trust: string[]
  readonly #targets = new WeakMap<object, TerminatedTarget>()
  readonly #server: http.Server
  readonly #pool = new UpstreamPool((options) => new https.Agent(options))
  readonly #sockets = new Set<tls.TLSSocket>()

  constructor(decisions: EgressDecisions, certificates: LeafCertificates, trust: string[]) {
    this.#decisions = decisions
    this.#certificates = certificates
    this.#trust = trust
    // Never listens: it parses the requests of connections handed to it.
    this.#server = http.createServer((request, response) => void this.#forward(request, response))
    this.#server.on('clientError', (_error, socket) => socket.destroy())
  }

  /**
   * Takes `socket` over (a sandbox's TLS connection to `target`, of which
   * `head` was already read) and serves it as `target.host` with a
   * certificate from the sandbox's CA `ca`.
   */
  async take(
    socket: net.Socket,
    head: Buffer,
    target: TerminatedTarget,
    ca: CertificateAuthority,
  ): Promise<void> {
    socket.pause()
    let context: tls.SecureContext
    try {
      context = await this.#certificates.contextFor(target.sandboxId, ca, target.host)
    } catch {
      socket.destroy()
      return
    }
    const secure = new tls.TLSSocket(streamOf(socket, head), {
      isServer: true,
      secureContext: context,
      ALPNProtocols: ['http/1.1'],
    })
    secure.on('error', () => secure.destroy())
    this.#sockets.add(secure)
    secure.on('close', () => this.#sockets.delete(secure))
    this.#targets.set(secure, target)
    this.#server.emit('connection', secure)
  }

  /** Closes every connection it serves and the upstream connections it keeps. */
  close(): void {
    for (const socket of this.#sockets) socket.destroy()
    this.#pool.close()
  }

  /** Closes the upstream connections kept for a sandbox that is gone. */
  forget(sandboxId: string): void {
    this.#pool.forget(sandboxId)
  }

  async #forward(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const target = this.#targets.get(request.socket)
    if (!target) return refuse(response, 500, 'connection of no sandbox')
    const { sandboxId, host, port } = target
    const decision = await this.#decisions.connect(sandboxId, host, port)
    if (!decision.allowed) {
      return refuse(
        response,
        403,
        `${host}:${port} is refused by the sandbox's network policy (${decision.reason})`,
      )
    }
    const secrets = decision.secrets?.secrets ?? []
    const options: https.RequestOptions = {
      host: decision.address,
      port,
      servername: host,
      method: request.method,
      path: fillText(request.url ?? '/', secrets),
      headers: fillHeaders(endToEnd(request.headers), secrets),
      setHost: false,
      ca: this.#trust,
      // The address was dialled; the certificate must be the host's.
      checkServerIdentity: (_address, cert) => tls.checkServerIdentity(host, cert),
    }
    const agent = this.#pool.agentFor(sandboxId)
    const open = (fresh: boolean) =>
      https.request({ ...options, agent: fresh ? this.#pool.oneShot : agent })
    relay(request, response, open, `${host}:${port}`)
  }
}
