import type { FastifyBaseLogger } from 'fastify'
import type { MetadataStore, SandboxRecord } from '../store/index.js'
import type { ActivityTracker } from './activity.js'
import type { LifecycleController } from './lifecycle/controller.js'
import { systemClock, type Clock } from './lifecycle/clock.js'

/** What the janitor needs. */
export interface JanitorOptions {
  store: MetadataStore
  /** Applies each sandbox's on_idle action. */
  lifecycle: Pick<LifecycleController, 'applyAction'>
  activity: ActivityTracker
  /** The real clock unless a test gives its own. */
  clock?: Clock
  log: FastifyBaseLogger
  /** WORKSPACE_IDLE_TTL_SECONDS: a sandbox idle longer than this gets its on_idle action. */
  idleTtlSeconds: number
  /**
   * Time between sweeps. The server passes WORKSPACE_JANITOR_INTERVAL_SECONDS
   * (the configuration enforces its 10 s floor); tests may pass less.
   */
  intervalMs: number
}

/**
 * Every `intervalMs`, asks the lifecycle controller to apply `on_idle`
 * (delete, stop or pause) to the running sandboxes idle longer than
 * `idleTtlSeconds`: no call naming them, no keep-alive, and no stream, PTY or
 * proxied connection open. Delete is the normal one with its grace
 * (SIGTERM, WORKSPACE_STOP_TIMEOUT_SECONDS, then SIGKILL); failed sandboxes
 * are deleted too when their action is delete. Sandboxes mid-operation,
 * paused or stopped are left alone.
 */
export class Janitor {
  readonly #options: JanitorOptions
  #timer: NodeJS.Timeout | undefined
  #sweeping: Promise<string[]> | undefined

  constructor(options: JanitorOptions) {
    this.#options = options
  }

  /** Starts the periodic sweep. */
  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => void this.sweep(), this.#options.intervalMs)
    this.#timer.unref()
  }

  /** Stops the timer and waits for a sweep in progress to finish. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#sweeping
  }

  /** One sweep (skipped if one is already running); resolves the ids it acted on. */
  sweep(now = (this.#options.clock ?? systemClock).now()): Promise<string[]> {
    if (this.#sweeping) return Promise.resolve([])
    this.#sweeping = this.#sweep(now).finally(() => {
      this.#sweeping = undefined
    })
    return this.#sweeping
  }

  async #sweep(now: number): Promise<string[]> {
    const { store, activity, log } = this.#options
    let records
    try {
      records = await store.listSandboxes()
    } catch (error) {
      log.warn({ err: error }, 'janitor: could not list sandboxes')
      return []
    }
    activity.prune(new Set(records.map((record) => record.id)))
    const idle = records.filter((record) => this.#eligible(record) && this.#idle(record, now))
    const removed = await Promise.all(idle.map((record) => this.#remove(record, now)))
    return idle.filter((_, index) => removed[index]).map((record) => record.id)
  }

  /** Running sandboxes, and failed ones whose action is delete (nothing else to do with them). */
  #eligible(record: SandboxRecord): boolean {
    return record.state === 'running' || (record.state === 'error' && record.onIdle === 'delete')
  }

  #idle(record: { id: string; createdAt: string }, now: number): boolean {
    const { activity, idleTtlSeconds } = this.#options
    return !activity.busy(record.id) && now - activity.lastActivity(record) > idleTtlSeconds * 1000
  }

  async #remove(record: SandboxRecord, now: number): Promise<boolean> {
    const { lifecycle, activity, log, idleTtlSeconds } = this.#options
    const clock = this.#options.clock ?? systemClock
    // Looked at again in the sandbox's turn: a call may have come in meanwhile.
    const stillIdle = () => this.#idle(record, Math.max(now, clock.now()))
    if (!stillIdle()) return false
    const idleSeconds = Math.round((now - activity.lastActivity(record)) / 1000)
    log.info(
      { sandboxId: record.id, idleSeconds, idleTtlSeconds, action: record.onIdle },
      'janitor: acting on an idle sandbox',
    )
    try {
      await lifecycle.applyAction(record.id, 'idle', stillIdle)
      return true
    } catch (error) {
      log.warn({ err: error, sandboxId: record.id }, 'janitor: could not act on an idle sandbox')
      return false
    }
  }
}
