import type { FastifyBaseLogger } from 'fastify'
import type { MetadataStore } from '../store/index.js'
import type { ActivityTracker } from './activity.js'
import type { SandboxService } from './sandboxes.js'

/** What the janitor needs. */
export interface JanitorOptions {
  store: MetadataStore
  sandboxes: SandboxService
  activity: ActivityTracker
  log: FastifyBaseLogger
  /** WORKSPACE_IDLE_TTL_SECONDS: a sandbox idle longer than this is removed. */
  idleTtlSeconds: number
  /**
   * Time between sweeps. The server passes WORKSPACE_JANITOR_INTERVAL_SECONDS
   * (the configuration enforces its 10 s floor); tests may pass less.
   */
  intervalMs: number
}

/**
 * Every `intervalMs`, stops and removes the sandboxes idle longer than
 * `idleTtlSeconds`: no call naming them, no keep-alive, and no stream, PTY or
 * proxied connection open. Removal is the normal delete with its grace
 * (SIGTERM, WORKSPACE_STOP_TIMEOUT_SECONDS, then SIGKILL). Sandboxes still
 * starting or already stopping are left alone.
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

  /** One sweep (skipped if one is already running); resolves the ids it removed. */
  sweep(now = Date.now()): Promise<string[]> {
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
    const idle = records.filter(
      (record) =>
        record.state !== 'starting' && record.state !== 'stopping' && this.#idle(record, now),
    )
    const removed = await Promise.all(idle.map((record) => this.#remove(record, now)))
    return idle.filter((_, index) => removed[index]).map((record) => record.id)
  }

  #idle(record: { id: string; createdAt: string }, now: number): boolean {
    const { activity, idleTtlSeconds } = this.#options
    return !activity.busy(record.id) && now - activity.lastActivity(record) > idleTtlSeconds * 1000
  }

  async #remove(record: { id: string; createdAt: string }, now: number): Promise<boolean> {
    const { sandboxes, activity, log, idleTtlSeconds } = this.#options
    // Looked at again just before acting: a call may have come in meanwhile.
    const at = Math.max(now, Date.now())
    if (!this.#idle(record, at)) return false
    const idleSeconds = Math.round((at - activity.lastActivity(record)) / 1000)
    log.info(
      { sandboxId: record.id, idleSeconds, idleTtlSeconds },
      'janitor: removing an idle sandbox',
    )
    try {
      await sandboxes.delete(record.id, false)
      return true
    } catch (error) {
      log.warn({ err: error, sandboxId: record.id }, 'janitor: could not remove an idle sandbox')
      return false
    }
  }
}
