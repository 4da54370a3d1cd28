import type http from 'node:http'

/**
 * How long an idle upstream connection is kept. Below the 5 s keep-alive
 * timeout of Node's and Apache's servers (nginx keeps 75 s), so the gateway
 * usually closes an idle connection before the origin does; an origin that
 * says `Keep-Alive: timeout=N` is believed as well (Node's agent honours it).
 */
export const IDLE_UPSTREAM_MS = 4000

/** Idle connections kept per destination of one sandbox. */
const IDLE_PER_DESTINATION = 16

/**
 * Kept-alive upstream connections, one agent per sandbox (plain HTTP, and
 * TLS to hosts whose requests get secrets). A new TCP connection per request cost a connect round trip and
 * the gateway's share of a handshake on every request; reusing one brings a
 * keep-alive request through the gateway close to a direct one. The gateway
 * dials resolved addresses only (never a name), and an agent keys its
 * connections by host and port, so a connection is reused only for the same
 * address and port. Agents are never shared between sandboxes: one
 * sandbox's request can never be written on a connection another sandbox's
 * request is reading its answer from, whatever an origin does with framing.
 */
export class UpstreamPool<A extends http.Agent> {
  readonly #agents = new Map<string, A>()
  readonly #make: (options: http.AgentOptions) => A
  /** Connections used once and closed: the retry after a pooled connection turned out closed. */
  readonly oneShot: A

  /** `make` makes an agent of the kind the pool holds (`http.Agent` or `https.Agent`). */
  constructor(make: (options: http.AgentOptions) => A) {
    this.#make = make
    this.oneShot = make({ keepAlive: false, noDelay: true })
  }

  /** The agent of `sandboxId`'s requests, made on its first one. */
  agentFor(sandboxId: string): A {
    let agent = this.#agents.get(sandboxId)
    if (!agent) {
      agent = this.#make({
        keepAlive: true,
        // Requests and answers are already whole messages: holding a small one back only adds delay.
        noDelay: true,
        // Sets the idle timeout: the agent destroys a free socket that times out, not a busy one.
        timeout: IDLE_UPSTREAM_MS,
        maxFreeSockets: IDLE_PER_DESTINATION,
        // The most recently used connection is the least likely to have been closed by the origin.
        scheduling: 'lifo',
      })
      this.#agents.set(sandboxId, agent)
    }
    return agent
  }

  /** Closes the connections of a sandbox that is gone. */
  forget(sandboxId: string): void {
    this.#agents.get(sandboxId)?.destroy()
    this.#agents.delete(sandboxId)
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy()
    this.#agents.clear()
    this.oneShot.destroy()
  }
}
