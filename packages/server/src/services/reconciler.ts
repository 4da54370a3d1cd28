import type { FastifyBaseLogger } from 'fastify'
import type { MetadataStore } from '../store/index.js'
import type { SandboxRuntime } from '../runtime/types.js'
import type { LifecycleController } from './lifecycle/controller.js'

/** What the reconciler compares. */
export interface ReconcilerOptions {
  store: MetadataStore
  runtime: SandboxRuntime
  lifecycle: LifecycleController
  log: FastifyBaseLogger
  intervalSeconds: number
}

/**
 * The lifecycle controller's periodic pass: containers with no row are
 * removed, and each sandbox is looked at in its own turn
 * (`LifecycleController.reconcile`), which brings back what should run,
 * fails what vanished and drives the rest to its desired state. At start-up
 * it also finishes what a crash interrupted.
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
    const { store, runtime, lifecycle, log } = this.#options
    const containers = await runtime.listManaged()
    const rows = await store.listSandboxes()
    const known = new Set(rows.map((row) => row.id))
    for (const { sandboxId } of containers) {
      if (known.has(sandboxId) || lifecycle.poolHolds(sandboxId)) continue
      // In its turn, looked at again: a pooled sandbox may have been claimed (its row written) meanwhile.
      await lifecycle.afterwards(sandboxId, async () => {
        if (lifecycle.poolHolds(sandboxId) || (await store.getSandbox(sandboxId))) return
        log.warn({ sandboxId }, 'removing a container that has no sandbox row')
        await runtime.remove(sandboxId, 0)
      })
    }
    await Promise.all(
      rows.map((row) =>
        lifecycle.reconcile(row.id, atStartup).catch((error: unknown) => {
          log.warn({ err: error, sandboxId: row.id }, 'could not reconcile a sandbox')
        }),
      ),
    )
  }
}
