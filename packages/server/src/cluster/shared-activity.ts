import type { FastifyBaseLogger } from 'fastify'
import type { MetadataStore } from '../store/index.js'
import type { ActivityTracker } from '../services/activity.js'

/**
 * Shares sandbox activity between the servers of one store: every interval,
 * what this server saw (and its open streams) goes to the store, and what
 * the others saw comes back, so the leader's janitor never takes a sandbox
 * used through another replica for idle. Staleness is at most one interval
 * (plus the janitor's own), far below any sensible idle TTL.
 */
export class SharedActivity {
  readonly #store: MetadataStore
  readonly #activity: ActivityTracker
  readonly #log: FastifyBaseLogger
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #syncing: Promise<void> | undefined

  constructor(options: {
    store: MetadataStore
    activity: ActivityTracker
    log: FastifyBaseLogger
    intervalMs: number
  }) {
    this.#store = options.store
    this.#activity = options.activity
    this.#log = options.log
    this.#intervalMs = options.intervalMs
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.sync(), this.#intervalMs)
    this.#timer.unref()
  }

  /** Stops the timer and shares what is left one last time. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.sync()
  }

  /** One exchange with the store (skipped while one runs); never throws. */
  sync(): Promise<void> {
    this.#syncing ??= this.#exchange()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'could not share sandbox activity'))
      .finally(() => (this.#syncing = undefined))
    return this.#syncing
  }

  async #exchange(): Promise<void> {
    const mine = this.#activity.drain()
    try {
      if (mine.size) await this.#store.recordActivity(mine)
    } catch (error) {
      // Told next time: put it back.
      for (const [id, at] of mine) this.#activity.touch(id, at)
      throw error
    }
    this.#activity.merge(await this.#store.listActivity())
  }
}
