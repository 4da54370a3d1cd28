import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Config, WarmPoolEntry } from '../../config/index.js'
import type { MetadataStore } from '../../store/index.js'
import type { SandboxRuntime } from '../../runtime/types.js'
import type { SandboxContainers } from '../lifecycle/containers.js'
import type { LifecycleController } from '../lifecycle/controller.js'
import { checkFitsHost } from '../host-limits.js'
import { poolKey } from './matching.js'

/** What the warm pool needs. */
export interface WarmPoolOptions {
  config: Config
  store: MetadataStore
  runtime: SandboxRuntime
  containers: SandboxContainers
  /** Removals happen in the sandbox's turn, like every other change of a container. */
  lifecycle: Pick<LifecycleController, 'afterwards'>
  log: FastifyBaseLogger
}

/** A ready pooled sandbox, handed to one create. */
export interface PooledSandbox {
  id: string
  agentToken: string
}

/** How long a template whose sandbox could not be made waits before the pool tries again. */
const RETRY_MS = 10_000

/**
 * Ready sandboxes kept per template (WM_WARM_POOL): started with the default
 * limits and no network, with an empty slot where the workspace goes, and
 * nothing but the agent running. A create that matches takes one (`take`),
 * synchronously, so no two creates ever get the same one; the lifecycle
 * controller then claims it in the sandbox's turn. The pool is refilled in
 * the background, one sandbox at a time. Pooled sandboxes have no row: they
 * are no one's sandbox yet, so lists, the janitor, workspace checks and
 * checkpoints never see them; the reconciler leaves alone what the pool
 * holds (`holds`) and removes any other container without a row, which is
 * how a crashed server's pooled containers go. Only the leader keeps a pool.
 */
export class WarmPool {
  readonly #options: WarmPoolOptions
  /** Ready sandboxes per pool key, oldest first. */
  readonly #ready = new Map<string, PooledSandbox[]>()
  /** Every id the pool answers for: ready, being made, or taken and not yet claimed. */
  readonly #held = new Set<string>()
  /** Templates whose last sandbox could not be made, until when they are left alone. */
  readonly #failing = new Map<string, number>()
  readonly #waiters = new Set<() => void>()
  #running = false
  /** Whether the pool should be kept: false once stopped, until started again. */
  #wanted = false
  #served = 0
  #filling: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #retry: NodeJS.Timeout | undefined
  #stopWatching: (() => void) | undefined

  constructor(options: WarmPoolOptions) {
    this.#options = options
  }

  /** The templates and counts kept. */
  get entries(): readonly WarmPoolEntry[] {
    return this.#options.config.warmPool
  }

  /** Starts keeping the pool full: leftovers of an earlier run are removed first. */
  start(): void {
    if (this.#running) return
    this.#wanted = true
    if (this.#stopping) {
      // The lead came back while the last pool was being removed: a new one once it is gone.
      void this.#stopping.then(() => {
        if (this.#wanted) this.start()
      })
      return
    }
    this.#running = true
    const { runtime, containers, config, log } = this.#options
    this.#stopWatching = runtime.watch((event) => {
      if (event.type === 'exited') void this.#drop(event.sandboxId, 'its agent exited')
    })
    const prepare = async () => {
      checkFitsHost(config.sandboxDefaults, {}, await runtime.hostResources())
      await containers.poolMounts.prepareRoot()
      await this.#removeLeftovers()
    }
    this.#filling = prepare()
      .then(() => this.#fill())
      .catch((error: unknown) => {
        log.error({ err: error }, 'warm pool: not kept (it could not be prepared)')
        this.#running = false
      })
      .finally(() => (this.#filling = undefined))
  }

  /** Stops refilling and removes every ready sandbox; ones taken by a create are left to it. */
  stop(): Promise<void> {
    this.#wanted = false
    this.#stopping ??= this.#drain().finally(() => (this.#stopping = undefined))
    return this.#stopping
  }

  async #drain(): Promise<void> {
    this.#running = false
    this.#stopWatching?.()
    this.#stopWatching = undefined
    clearTimeout(this.#retry)
    await this.#filling
    const ready = [...this.#ready.values()].flat()
    this.#ready.clear()
    await Promise.all(ready.map((pooled) => this.#remove(pooled.id)))
    this.#options.containers.poolMounts.close()
    this.#notify()
  }

  /**
   * A ready sandbox of `key` for one create, or undefined; it is the
   * caller's from here on (`settled` once its row is written or not).
   */
  take(key: string): PooledSandbox | undefined {
    if (!this.#running) return undefined
    const pooled = this.#ready.get(key)?.shift()
    if (pooled) {
      this.#served++
      this.#kick()
    }
    return pooled
  }

  /** How many creates the pool has handed a sandbox to since the server started. */
  get served(): number {
    return this.#served
  }

  /** The create that took `id` has written its row (the sandbox is the controller's) or given up. */
  settled(id: string): void {
    this.#held.delete(id)
  }

  /** Removes a taken sandbox whose create gave up before its row was written. */
  async discard(id: string): Promise<void> {
    await this.#remove(id)
  }

  /** Whether `id` is a container of the pool's (ready, being made, or taken and not yet claimed). */
  holds(id: string): boolean {
    return this.#held.has(id)
  }

  /** How many ready sandboxes each template has now. */
  status(): Array<{ template: string; ready: number; count: number }> {
    return this.entries.map((entry) => ({
      template: entry.template,
      ready: this.#ready.get(this.#key(entry))?.length ?? 0,
      count: entry.count,
    }))
  }

  /** Resolves once every template has its count ready (or the pool stopped). */
  whenFull(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#running && this.#deficit()) return
        this.#waiters.delete(check)
        resolve()
      }
      this.#waiters.add(check)
      check()
    })
  }

  #key(entry: WarmPoolEntry): string {
    const { sandboxDefaults } = this.#options.config
    return poolKey({
      template: entry.template,
      nanoCpus: sandboxDefaults.nanoCpus,
      memoryBytes: sandboxDefaults.memoryBytes,
      diskBytes: sandboxDefaults.diskBytes,
      networkMode: 'none',
      applicationKind: null,
    })
  }

  /** The first template short of its count and not waiting after a failure. */
  #deficit(): WarmPoolEntry | undefined {
    const now = Date.now()
    return this.entries.find(
      (entry) =>
        (this.#ready.get(this.#key(entry))?.length ?? 0) < entry.count &&
        (this.#failing.get(entry.template) ?? 0) <= now,
    )
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }

  #kick(): void {
    if (!this.#running || this.#filling) return
    this.#filling = this.#fill().finally(() => {
      this.#filling = undefined
      if (this.#deficit()) this.#kick()
    })
  }

  /** Makes sandboxes one at a time until every template has its count. */
  async #fill(): Promise<void> {
    for (let entry = this.#deficit(); this.#running && entry; entry = this.#deficit()) {
      try {
        await this.#makeOne(entry)
        this.#failing.delete(entry.template)
      } catch (error) {
        this.#options.log.warn(
          { err: error, template: entry.template },
          'warm pool: could not make a sandbox; trying again later',
        )
        this.#failing.set(entry.template, Date.now() + RETRY_MS)
        clearTimeout(this.#retry)
        this.#retry = setTimeout(() => this.#kick(), RETRY_MS)
        this.#retry.unref()
      }
      this.#notify()
    }
  }

  async #makeOne(entry: WarmPoolEntry): Promise<void> {
    const { containers, config } = this.#options
    const pooled = {
      id: `sb_${randomBytes(10).toString('hex')}`,
      agentToken: randomBytes(32).toString('hex'),
    }
    this.#held.add(pooled.id)
    try {
      await containers.launchPooled({
        ...pooled,
        template: entry.template,
        nanoCpus: config.sandboxDefaults.nanoCpus,
        memoryBytes: config.sandboxDefaults.memoryBytes,
        diskBytes: config.sandboxDefaults.diskBytes,
        networkMode: 'none',
      })
    } catch (error) {
      await this.#remove(pooled.id)
      throw error
    }
    if (!this.#running) return this.#remove(pooled.id)
    containers.poolMounts.prime()
    const key = this.#key(entry)
    this.#ready.set(key, [...(this.#ready.get(key) ?? []), pooled])
  }

  /** A ready sandbox whose container stopped is no longer fit to hand out. */
  async #drop(id: string, why: string): Promise<void> {
    for (const list of this.#ready.values()) {
      const at = list.findIndex((pooled) => pooled.id === id)
      if (at < 0) continue
      list.splice(at, 1)
      this.#options.log.warn({ sandboxId: id }, `warm pool: discarding a sandbox: ${why}`)
      await this.#remove(id)
      this.#kick()
      return
    }
  }

  /** Removes a pool container, its slot and its files, in its turn. */
  async #remove(id: string): Promise<void> {
    const { runtime, containers, log } = this.#options
    try {
      await this.#options.lifecycle.afterwards(id, async () => {
        await runtime.remove(id, 0)
        await containers.removeFiles(id)
      })
    } catch (error) {
      log.warn({ err: error, sandboxId: id }, 'warm pool: could not remove a sandbox')
    } finally {
      this.#held.delete(id)
    }
  }

  /**
   * Slots an earlier run left (it crashed, or lost the lead): a claimed
   * sandbox's (it has a row) stays; the rest are removed with their container.
   */
  async #removeLeftovers(): Promise<void> {
    const { store, runtime, containers, lifecycle, log } = this.#options
    for (const id of await containers.poolMounts.slots()) {
      if (this.#held.has(id)) continue
      await lifecycle.afterwards(id, async () => {
        if (await store.getSandbox(id)) return
        log.info({ sandboxId: id }, 'warm pool: removing a pooled sandbox of an earlier run')
        await runtime.remove(id, 0)
        await containers.removeFiles(id)
      })
    }
  }
}
