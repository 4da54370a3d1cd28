import type net from 'node:net'
import { ApiError } from '../errors.js'
import type { SandboxService } from './sandboxes.js'

/** What a port path segment must look like before its range is checked. */
const PORT_PATTERN = /^[0-9]{1,5}$/

/** The port of a `{port}` path segment: decimal, 1–65535; 400 code 1001 otherwise. */
export function parsePort(segment: string): number {
  const port = PORT_PATTERN.test(segment) ? Number(segment) : 0
  if (port < 1 || port > 65535) {
    throw new ApiError('VALIDATION', `port must be an integer from 1 to 65535, got "${segment}"`)
  }
  return port
}

/**
 * Raw TCP streams to ports inside sandboxes, through each sandbox's agent
 * (`GET /v1/ports/{port}/connect`, `Upgrade: wm-tcp`): the agent dials the
 * sandbox's loopback interface only, so this works with network `none` and
 * can reach nothing but the sandbox.
 */
export class PortConnector {
  readonly #sandboxes: SandboxService

  constructor(sandboxes: SandboxService) {
    this.#sandboxes = sandboxes
  }

  /** 404 `2001` unless the sandbox exists (what the proxy answers before anything else). */
  async requireSandbox(sandboxId: string): Promise<void> {
    await this.#sandboxes.require(sandboxId)
  }

  /**
   * A connected stream to `127.0.0.1:{port}` in the sandbox. 404 `2001` for
   * an unknown sandbox, 409 `2002` when it is not running, 502 `2005` when
   * nothing listens on the port.
   */
  async connect(sandboxId: string, port: number): Promise<net.Socket> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    let upgraded: { socket: net.Socket; head: Buffer }
    try {
      upgraded = await agent.upgrade(`/v1/ports/${port}/connect`, 'wm-tcp')
    } catch (error) {
      if (error instanceof ApiError && error.key === 'NOT_FOUND') {
        // An agent started before port forwarding existed has no such route.
        throw new ApiError(
          'PORT_UNREACHABLE',
          `the agent of sandbox ${sandboxId} cannot forward ports (it predates this server); restart the sandbox`,
          { sandbox_id: sandboxId, port },
        )
      }
      if (error instanceof ApiError && error.key === 'PORT_UNREACHABLE') {
        throw new ApiError('PORT_UNREACHABLE', error.message, { sandbox_id: sandboxId, port })
      }
      throw error
    }
    const { socket, head } = upgraded
    // Nothing is sent on the stream before the caller writes, but keep
    // whatever arrived with the 101 in front of what follows.
    if (head.length) socket.unshift(head)
    // Each direction ends on its own (see the half-close rules of the agent).
    socket.allowHalfOpen = true
    socket.setNoDelay?.(true)
    return socket
  }
}
