import type { FastifyBaseLogger } from 'fastify'
import type { MetadataStore } from '../store/index.js'
import type { SandboxRuntime } from '../runtime/types.js'
import type { SandboxService } from './sandboxes.js'

/** What the reconciler compares. */
export interface ReconcilerOptions {
  store: MetadataStore
  runtime: SandboxRuntime
  sandboxes: SandboxService
  log: FastifyBaseLogger
  intervalSeconds: number
}

/**
 * Makes the engine agree with the store: containers with no row are removed,
 * rows whose container vanished become `error`. At start-up it also finishes
 * what a crash interrupted: sandboxes caught starting fail (their container
 * is removed), sandboxes caught stopping are removed.
 */
export class Reconciler {
  readonly #options: ReconcilerOptions
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined

  constructor(options: ReconcilerOptions) {
    this.#options = options
  }

  /** Runs once now (as the start-up pass), then every interval. */
  async start(): Promise<void> {
    await this.run(true)
    this.#timer = setInterval(() => void this.run(false), this.#options.intervalSeconds * 1000)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** One pass; never throws (an unreachable engine is logged and retried next time). */
  run(atStartup: boolean): Promise<void> {
    this.#running ??= this.#pass(atStartup)
      .catch((error: unknown) => this.#options.log.warn({ err: error }, 'reconcile pass failed'))
      .finally(() => (this.#running = undefined))
    return this.#running
  }

  async #pass(atStartup: boolean): Promise<void> {
    const { store, runtime, sandboxes, log } = this.#options
    const containers = await runtime.listManaged()
    const rows = new Map((await store.listSandboxes()).map((row) => [row.id, row]))
    for (const container of containers) {
      if (rows.has(container.sandboxId)) continue
      log.warn({ sandboxId: container.sandboxId }, 'removing a container that has no sandbox row')
      await runtime.remove(container.sandboxId, 0)
    }
    const live = new Map(containers.map((c) => [c.sandboxId, c]))
    for (const row of rows.values()) {
      const container = live.get(row.id)
      if (row.state === 'starting' && atStartup) {
        await sandboxes.fail(row.id, 'the server restarted while the sandbox was starting')
      } else if (row.state === 'stopping' && atStartup) {
        await sandboxes.delete(row.id, true)
      } else if (row.state === 'running' && !container?.running) {
        if (await this.#replacedMeanwhile(row.id)) continue
        await sandboxes.fail(row.id, container ? 'the container stopped' : 'the container vanished')
      } else if (row.state === 'error' && container) {
        await runtime.remove(row.id, 0)
      }
    }
  }

  /**
   * Whether a sandbox that looked down in this pass was in fact having its
   * container replaced (a restore or a process checkpoint): the service marks
   * it `starting` before removing the container and `running` once the new
   * one runs. Reading the row between two looks at the container closes the
   * window in which the listing above saw neither container.
   */
  async #replacedMeanwhile(id: string): Promise<boolean> {
    const { store, runtime } = this.#options
    const row = await store.getSandbox(id)
    if (row?.state !== 'running') return true
    return (await runtime.inspect(id))?.running === true
  }
}
