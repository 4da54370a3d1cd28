import net from 'node:net'
import { once } from 'node:events'
import { serverName } from './client-hello.js'
import type { EgressDecisions } from './decisions.js'
import { connectSpliced } from './splice.js'
import type { TlsTerminator } from './tls-terminator.js'

/**
 * TLS out of the sandboxes on port 443: the destination is the server name
 * of the ClientHello, judged once per connection; the connection is then
 * spliced to that name's address, TLS untouched (the sandbox checks the
 * real server's certificate). A hello without a name is refused. A name
 * the sandbox has secrets for is handed to the TLS terminator instead,
 * which fills them in.
 */
export class TlsGateway {
  readonly #decisions: EgressDecisions
  readonly #terminator: TlsTerminator
  readonly #server: net.Server
  readonly #sockets = new Set<net.Socket>()

  constructor(decisions: EgressDecisions, terminator: TlsTerminator) {
    this.#decisions = decisions
    this.#terminator = terminator
    this.#server = net.createServer((socket) => this.#accept(socket))
  }

  async listen(port: number, address: string): Promise<void> {
    this.#server.listen(port, address)
    await once(this.#server, 'listening')
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(socket: net.Socket): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let buffered = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const name = serverName(buffered)
      if (name === 'needed') return
      socket.off('data', onData)
      socket.pause()
      if (name === 'invalid' || name === null) {
        void this.#refuseUnnamed(socket)
        return
      }
      void this.#splice(socket, name, buffered)
    }
    socket.on('data', onData)
  }

  async #refuseUnnamed(socket: net.Socket): Promise<void> {
    const sandboxId = await this.#decisions.sandboxAt(socket.remoteAddress ?? '')
    // Counted like any refusal: a client dialling an address with TLS but no name.
    if (sandboxId) await this.#decisions.connect(sandboxId, '(no server name)', 443)
    socket.destroy()
  }

  async #splice(socket: net.Socket, name: string, hello: Buffer): Promise<void> {
    const sandboxId = await this.#decisions.sandboxAt(socket.remoteAddress ?? '')
    const decision = sandboxId ? await this.#decisions.connect(sandboxId, name, 443) : undefined
    if (!decision?.allowed || !sandboxId) return void socket.destroy()
    if (decision.secrets) {
      const target = { sandboxId, host: name, port: 443 }
      return this.#terminator.take(socket, hello, target, decision.secrets.ca)
    }
    const upstream = connectSpliced(socket, 443, decision.address)
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
    upstream.once('connect', () => {
      upstream.write(hello)
      socket.pipe(upstream)
      socket.resume()
      upstream.on('close', () => socket.destroy())
    })
  }
}
