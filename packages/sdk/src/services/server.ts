/**
 * `client.server`: the state of the server itself. `health` says it is up and
 * which replica answered (and who leads); `ready` says whether its store and
 * container engine answer. Not being ready is an answer, not a failure, so
 * `ready` resolves with `ready: false` on the server's 503 (code 1006) and
 * throws only for everything else (no reply, bad credentials, ...).
 */
import { ErrorCodes, type HealthResponse } from '@workspace-manager/protocol'
import { WorkspaceError } from '../errors.js'
import type { ServerHealth, ServerReadiness } from '../server-types.js'
import type { Transport } from '../transport.js'
import type { CallOptions } from '../types.js'

/** Body of a 200 from `GET /ready`. */
interface WireReadiness {
  status: 'ready'
  checks: Record<string, string>
}

/** The per-call fields of a request, and nothing else a caller's object may carry. */
function callFields(options: CallOptions): CallOptions {
  return { signal: options.signal, timeoutMs: options.timeoutMs }
}

/**
 * The checks of a 503's error details. A proxy's bare 503 carries none; values
 * that are not strings are not check results, so they are left out.
 */
function failedChecks(details: Record<string, unknown>): Record<string, string> {
  const checks: Record<string, string> = {}
  for (const [name, value] of Object.entries(details)) {
    if (typeof value === 'string') checks[name] = value
  }
  return checks
}

/** Health and readiness of the server. Reached as `client.server`. */
export class ServerService {
  readonly #transport: Transport

  /** Built by {@link WorkspaceClient}; not meant to be constructed directly. */
  constructor(transport: Transport) {
    this.#transport = transport
  }

  /** `GET /health`: the version and the answering replica's view of the leader lease. */
  async health(options: CallOptions = {}): Promise<ServerHealth> {
    const request = { method: 'GET', path: '/health' } as const
    return this.#transport.json<HealthResponse>({ ...request, ...callFields(options) })
  }

  /**
   * `GET /ready`: `{ ready: true, checks }` when every dependency answers;
   * `{ ready: false, checks }` (the failing checks with their reasons) when the
   * server answers 503 with code 1006. Any other failure is thrown as usual.
   */
  async ready(options: CallOptions = {}): Promise<ServerReadiness> {
    const request = { method: 'GET', path: '/ready' } as const
    try {
      const reply = await this.#transport.json<WireReadiness>({
        ...request,
        ...callFields(options),
      })
      return { ready: true, checks: reply.checks }
    } catch (error) {
      if (
        error instanceof WorkspaceError &&
        error.status === 503 &&
        error.code === ErrorCodes.RUNTIME_UNAVAILABLE.code
      ) {
        return { ready: false, checks: failedChecks(error.details) }
      }
      throw error
    }
  }
}
