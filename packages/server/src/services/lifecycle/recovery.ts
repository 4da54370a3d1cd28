import type { FastifyBaseLogger } from 'fastify'
import type { SandboxRecord } from '../../store/index.js'
import type { SandboxRuntime } from '../../runtime/types.js'
import type { Clock } from './clock.js'
import type { SandboxContainers } from './containers.js'
import type { SandboxTransitions } from './transitions.js'

/** How hard a sandbox whose container died is brought back. */
export interface RestartPolicy {
  /** Restarts tried within `windowMs` before the sandbox is marked error. */
  attempts: number
  /** Wait before the first restart; doubled before each next one. */
  backoffMs: number
  /** Restarts older than this are forgotten, so a rare crash never adds up to a failure. */
  windowMs: number
}

/** Three restarts within ten minutes, 1 s, 2 s and 4 s apart. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  attempts: 3,
  backoffMs: 1000,
  windowMs: 10 * 60_000,
}

/** What recovery needs. */
export interface RecoveryOptions {
  runtime: SandboxRuntime
  containers: SandboxContainers
  transitions: SandboxTransitions
  log: FastifyBaseLogger
  clock: Clock
  policy: RestartPolicy
}

/**
 * Brings back a sandbox that should run and whose container died or
 * vanished: the same container started again when it is there (its root
 * filesystem kept), else a new one from the sandbox's image. Tries are
 * spaced by a doubling back-off and bounded per window; past the bound the
 * sandbox is marked error with the reason, its container kept stopped.
 */
export class Recovery {
  readonly #options: RecoveryOptions
  /** Times of recent restarts, per sandbox. */
  readonly #restarts = new Map<string, number[]>()

  constructor(options: RecoveryOptions) {
    this.#options = options
  }

  /** Runs inside the sandbox's turn; resolves once it runs again or is marked error. */
  async recover(record: SandboxRecord, reason: string): Promise<void> {
    const { runtime, containers, transitions, log, clock, policy } = this.#options
    const now = clock.now()
    const recent = (this.#restarts.get(record.id) ?? []).filter((at) => now - at < policy.windowMs)
    let lastError: string | null = null
    for (let attempt = recent.length; attempt < policy.attempts; attempt++) {
      await transitions.write(record.id, { state: 'starting', operation: 'restart' })
      await clock.sleep(policy.backoffMs * 2 ** attempt)
      recent.push(clock.now())
      this.#restarts.set(record.id, recent)
      log.warn({ sandboxId: record.id, reason, attempt: attempt + 1 }, 'restarting a sandbox')
      try {
        if (await runtime.inspect(record.id)) await containers.startAgain(record)
        else await containers.launch(record, record.image ?? record.template)
        await transitions.write(record.id, {
          state: 'running',
          operation: null,
          errorMessage: null,
        })
        return
      } catch (error) {
        lastError = (error as Error).message
      }
    }
    const tried = `${recent.length} restart${recent.length === 1 ? '' : 's'}`
    await transitions.fail(
      record.id,
      lastError === null
        ? `${reason}, again after ${tried}: not restarted any more`
        : `${reason}; ${tried} failed (last: ${lastError})`,
    )
  }

  /** Forgets the restarts of a sandbox that is gone. */
  forget(id: string): void {
    this.#restarts.delete(id)
  }
}
