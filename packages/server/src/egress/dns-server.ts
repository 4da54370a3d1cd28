import dgram from 'node:dgram'
import net from 'node:net'
import { once } from 'node:events'
import { QTYPE, RCODE, answer, parseQuery } from './dns-message.js'
import type { EgressDecisions } from './decisions.js'

/**
 * The sandboxes' resolver, on the gateway's address port 53 (UDP and TCP).
 * An allowed name answers A = the gateway's own address, so every
 * connection comes back to the gateway, which dials the real destination;
 * other names answer NXDOMAIN and count as refused. Nothing is forwarded:
 * a sandbox cannot use DNS to carry data out.
 */
export class GatewayDns {
  readonly #decisions: EgressDecisions
  readonly #gatewayAddress: string
  #udp: dgram.Socket | undefined
  #tcp: net.Server | undefined

  constructor(decisions: EgressDecisions, gatewayAddress: string) {
    this.#decisions = decisions
    this.#gatewayAddress = gatewayAddress
  }

  /** Listens on `port` (53) of the gateway address. */
  async listen(port: number): Promise<void> {
    const udp = dgram.createSocket('udp4')
    udp.on('message', (packet, peer) => {
      void this.#reply(packet, peer.address).then((reply) => {
        if (reply) udp.send(reply, peer.port, peer.address)
      })
    })
    udp.bind(port, this.#gatewayAddress)
    await once(udp, 'listening')
    this.#udp = udp
    const tcp = net.createServer((socket) => this.#serveTcp(socket))
    tcp.listen(port, this.#gatewayAddress)
    await once(tcp, 'listening')
    this.#tcp = tcp
  }

  async close(): Promise<void> {
    this.#udp?.close()
    await new Promise<void>((resolve) => (this.#tcp ? this.#tcp.close(() => resolve()) : resolve()))
  }

  #serveTcp(socket: net.Socket): void {
    let buffered = Buffer.alloc(0)
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const packet = buffered.subarray(2, 2 + buffered.readUInt16BE(0))
        buffered = buffered.subarray(2 + packet.length)
        void this.#reply(packet, socket.remoteAddress ?? '').then((reply) => {
          if (!reply) return socket.destroy()
          const length = Buffer.alloc(2)
          length.writeUInt16BE(reply.length)
          socket.write(Buffer.concat([length, reply]))
        })
      }
    })
  }

  async #reply(packet: Buffer, source: string): Promise<Buffer | undefined> {
    const query = parseQuery(packet)
    if (!query) return undefined
    const sandboxId = await this.#decisions.sandboxAt(source)
    if (!sandboxId) return answer(query, RCODE.REFUSED)
    // A lookup asks for A and AAAA together: only the A (or ANY) query counts a refusal once.
    const counted = query.type === QTYPE.A || query.type === QTYPE.ANY
    const allowed = await this.#decisions.mayResolve(sandboxId, query.name, counted)
    if (!allowed) return answer(query, RCODE.NXDOMAIN)
    // The sandbox network has no IPv6: an allowed name has its A record and nothing else.
    if (query.type === QTYPE.A || query.type === QTYPE.ANY) {
      return answer(query, RCODE.NOERROR, this.#gatewayAddress)
    }
    return answer(query, RCODE.NOERROR)
  }
}
