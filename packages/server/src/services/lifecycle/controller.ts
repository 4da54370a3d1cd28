import type { FastifyBaseLogger } from 'fastify'
import { ApiError } from '../../errors.js'
import {
  SINGLE_SERVER,
  type Coordination,
  type MetadataStore,
  type SandboxRecord,
} from '../../store/index.js'
import type { ContainerStatus, RuntimeEvent, SandboxRuntime } from '../../runtime/types.js'
import { KeyedQueue } from './queue.js'
import { systemClock, type Clock } from './clock.js'
import { notRunning, type SandboxTransitions } from './transitions.js'
import { Recovery, DEFAULT_RESTART_POLICY, type RestartPolicy } from './recovery.js'
import type { SandboxContainers } from './containers.js'

/** What the controller needs. */
export interface LifecycleOptions {
  store: MetadataStore
  runtime: SandboxRuntime
  containers: SandboxContainers
  transitions: SandboxTransitions
  log: FastifyBaseLogger
  clock?: Clock
  restartPolicy?: RestartPolicy
  /** Cluster-wide locks (the store's); every operation holds its sandbox's. */
  coordination?: Pick<Coordination, 'withLock' | 'replicated'>
}

/** States a sandbox is in only while an operation runs. */
const TRANSITIONAL = new Set(['starting', 'pausing', 'resuming', 'stopping'])

/** Why a lifecycle action was asked for: the idle janitor, or the sandbox's timeout. */
export type ActionCause = 'idle' | 'timeout'

/**
 * The one owner of every change of a sandbox. Each sandbox's operations
 * (API calls, idle and timeout actions, checkpoints and restores, reaction
 * to its container dying, the reconciler's pass) run one at a time, in the
 * order asked; no two ever act on one sandbox at once, so none needs to
 * guard against another. With several servers on one store, each operation
 * also holds the sandbox's lock in the store, so the servers take turns too.
 * Callers say what they want (the desired state); the controller alone
 * writes what was observed.
 */
export class LifecycleController {
  readonly #options: LifecycleOptions
  readonly #queue = new KeyedQueue()
  readonly #coordination: Pick<Coordination, 'withLock' | 'replicated'>
  readonly #recovery: Recovery
  readonly clock: Clock
  /**
   * Whether a container without a row is the warm pool's (the reconciler
   * leaves those alone); none is without a pool.
   */
  poolHolds: (id: string) => boolean = () => false
  #stopWatching: (() => void) | undefined

  constructor(options: LifecycleOptions) {
    this.#options = options
    this.clock = options.clock ?? systemClock
    this.#coordination = options.coordination ?? SINGLE_SERVER
    this.#recovery = new Recovery({
      runtime: options.runtime,
      containers: options.containers,
      transitions: options.transitions,
      log: options.log,
      clock: this.clock,
      policy: options.restartPolicy ?? DEFAULT_RESTART_POLICY,
    })
    options.transitions.onForget((id) => this.#recovery.forget(id))
  }

  /**
   * Starts reacting to the engine's events (on the leader only: every server
   * of one engine sees the same events, and one reaction is enough).
   */
  start(): void {
    this.#stopWatching ??= this.#options.runtime.watch((event) => void this.#onEvent(event))
  }

  /** Stops reacting to the engine's events. */
  stopWatching(): void {
    this.#stopWatching?.()
    this.#stopWatching = undefined
  }

  /** Stops reacting to events and resolves once every operation under way has finished. */
  async stop(): Promise<void> {
    this.stopWatching()
    await this.#queue.idle()
  }

  /** Runs `operation` in the turn of `id`: this server's queue, then the store's lock. */
  #turn<T>(id: string, operation: () => Promise<T>): Promise<T> {
    return this.#queue.run(id, () => this.#coordination.withLock(`sandbox:${id}`, operation))
  }

  /** Runs `operation` in the sandbox's turn, with its row as it is then (404 when gone). */
  exclusive<T>(
    id: string,
    operation: (record: SandboxRecord, transitions: SandboxTransitions) => Promise<T>,
  ): Promise<T> {
    const { transitions } = this.#options
    return this.#turn(id, async () => operation(await transitions.require(id), transitions))
  }

  /** Runs `operation` in the turn of `id` even when it has no row (cleanup after removal). */
  afterwards(id: string, operation: () => Promise<void>): Promise<void> {
    return this.#turn(id, operation)
  }

  /** Resolves once every operation queued so far, on every sandbox, is over. */
  idle(): Promise<void> {
    return this.#queue.idle()
  }

  /** Resolves once the operations queued on `id` so far are over. */
  settled(id: string): Promise<void> {
    return this.#queue.settled(id)
  }

  /**
   * Creates a sandbox: `insert` writes its row and the sandbox is started, in
   * one turn, so no other server's reconciler ever sees the new row before
   * its creator holds it. `inserted` settles once the row is written (or
   * could not be); `running` once the sandbox runs. `claimed`: the sandbox
   * is a pooled one taken from the warm pool, claimed instead of booted.
   */
  create(
    record: SandboxRecord,
    insert: () => Promise<void>,
    claimed = false,
  ): { inserted: Promise<void>; running: Promise<SandboxRecord> } {
    let written!: (error?: unknown) => void
    const inserted = new Promise<void>((resolve, reject) => {
      written = (error) => (error === undefined ? resolve() : reject(error))
    })
    const running = this.#turn(record.id, async () => {
      try {
        await insert()
      } catch (error) {
        written(error ?? new Error('the sandbox row could not be written'))
        throw error
      }
      written()
      const { transitions } = this.#options
      const row = await transitions.require(record.id)
      return claimed ? transitions.claim(row) : transitions.boot(row)
    })
    // A failure before the insert (no store lock) reaches `inserted` too.
    running.catch((error: unknown) => written(error))
    return { inserted, running }
  }

  /** Stops the sandbox, keeping its container. */
  stopSandbox(id: string): Promise<SandboxRecord> {
    return this.exclusive(id, (row, transitions) => transitions.stop(row))
  }

  /** Starts (or resumes) the sandbox. */
  startSandbox(id: string): Promise<SandboxRecord> {
    return this.exclusive(id, (row, transitions) => transitions.start(row))
  }

  /** Pauses the running sandbox. */
  pause(id: string): Promise<SandboxRecord> {
    return this.exclusive(id, (row, transitions) => transitions.pause(row))
  }

  /** Makes the sandbox run again: paused ones are resumed, stopped ones started. */
  resume(id: string): Promise<SandboxRecord> {
    return this.exclusive(id, (row, transitions) => transitions.resume(row))
  }

  /** Stops and removes the sandbox and its row. */
  delete(id: string, force: boolean): Promise<void> {
    return this.exclusive(id, (row, transitions) => transitions.delete(row, force))
  }

  /**
   * The sandbox, running: a paused or stopped one is resumed or started
   * first when it has `auto_resume`; otherwise 409 code 2002.
   */
  ensureRunning(id: string): Promise<SandboxRecord> {
    return this.exclusive(id, (row, transitions) => this.running(row, transitions))
  }

  /** `ensureRunning` for a caller already in the sandbox's turn. */
  async running(row: SandboxRecord, transitions: SandboxTransitions): Promise<SandboxRecord> {
    if (row.state === 'running') return row
    const resumable = row.state === 'paused' || row.state === 'stopped'
    if (!resumable || !row.autoResume) throw notRunning(row)
    this.#options.log.info({ sandboxId: row.id, state: row.state }, 'resuming a sandbox for a call')
    return transitions.resume(row)
  }

  /**
   * Applies the sandbox's `on_idle` or `on_timeout` action, if it still
   * applies when its turn comes (a call may have come in meanwhile).
   */
  applyAction(id: string, cause: ActionCause, stillDue: () => boolean = () => true): Promise<void> {
    return this.exclusive(id, async (row, transitions) => {
      if (!stillDue()) return
      const action = cause === 'idle' ? row.onIdle : row.onTimeout
      if (action === 'delete') return void (await transitions.delete(row, false))
      if (row.state !== 'running' && !(action === 'stop' && row.state === 'paused')) return
      this.#options.log.info({ sandboxId: id, action, cause }, `sandbox ${cause}: ${action}`)
      if (action === 'stop') await transitions.stop(row)
      else await transitions.pause(row)
    }).catch((error: unknown) => {
      // Deleted meanwhile: nothing left to act on.
      if (error instanceof ApiError && error.key === 'SANDBOX_NOT_FOUND') return
      throw error
    })
  }

  /**
   * Expiry: applies `on_timeout` to every sandbox past its `expires_at`. It
   * runs from a timer, so a store that does not answer is logged and tried
   * again at the next tick, never thrown (an unhandled rejection would end
   * the process).
   */
  async expire(): Promise<void> {
    const now = this.clock.now()
    let rows: SandboxRecord[]
    try {
      rows = await this.#options.store.listSandboxes()
    } catch (error) {
      this.#options.log.warn({ err: error }, 'expiry: could not list sandboxes')
      return
    }
    for (const row of rows) {
      if (!row.expiresAt || Date.parse(row.expiresAt) > now) continue
      if (row.desiredState === 'deleted' || this.#queue.busy(row.id)) continue
      // Stop and pause apply once: a sandbox started again gets a new timeout.
      if (row.onTimeout !== 'delete' && row.state !== 'running') continue
      await this.applyAction(row.id, 'timeout').catch((error: unknown) => {
        this.#options.log.warn({ err: error, sandboxId: row.id }, 'could not act on a timeout')
      })
    }
  }

  /**
   * One reconciler look at a sandbox, in its turn: a sandbox that should run
   * and does not is brought back; a vanished container of a paused or
   * stopped one is an error; a failed sandbox's container does not run.
   * At start-up, operations a crash interrupted are finished off.
   */
  reconcile(id: string, atStartup: boolean): Promise<void> {
    return this.#turn(id, async () => {
      const { store, runtime, transitions } = this.#options
      const row = await store.getSandbox(id)
      if (!row) return
      const container = await runtime.inspect(id)
      // In the sandbox's turn, an operation still marked on the row was cut short: by a restart
      // of this server, or (with several servers, whose locks die with them) another one's end.
      const interruptedMayShow = atStartup || this.#coordination.replicated
      if (interruptedMayShow && (row.operation !== null || TRANSITIONAL.has(row.state))) {
        return this.#interrupted(row, container)
      }
      if (row.state === 'running' && row.desiredState === 'running' && !container?.running) {
        return this.#recovery.recover(
          row,
          container ? 'the container stopped' : 'the container vanished',
        )
      }
      if ((row.state === 'paused' || row.state === 'stopped') && !container) {
        return transitions.fail(id, `the container vanished while the sandbox was ${row.state}`)
      }
      if (row.state === 'error' && container?.running)
        return transitions.fail(id, row.errorMessage ?? 'failed')
      if (row.desiredState === 'stopped' && (row.state === 'running' || row.state === 'paused')) {
        await transitions.stop(row)
      } else if (row.desiredState === 'paused' && row.state === 'running') {
        await transitions.pause(row)
      }
    })
  }

  /** A row a crash left mid-operation. */
  async #interrupted(row: SandboxRecord, container: ContainerStatus | undefined): Promise<void> {
    const { transitions } = this.#options
    const operation = row.operation ?? (row.state === 'stopping' ? 'delete' : 'create')
    if (operation === 'delete') return transitions.delete(row, true)
    const why = `the server restarted while the sandbox was ${row.state} (${operation})`
    // A container that never finished starting holds nothing worth keeping.
    await transitions.fail(row.id, why, { removeContainer: operation === 'create' || !container })
  }

  async #onEvent(event: RuntimeEvent): Promise<void> {
    const { log, runtime } = this.#options
    if (event.type === 'oom') {
      log.warn({ sandboxId: event.sandboxId }, 'a process in the sandbox ran out of memory')
      return
    }
    await this.#turn(event.sandboxId, async () => {
      const row = await this.#options.store.getSandbox(event.sandboxId)
      // Exits of a sandbox being stopped, paused, replaced or deleted are its own doing.
      if (row?.state !== 'running' || row.desiredState !== 'running') return
      const status = await runtime.inspect(row.id)
      // A container that runs is the sandbox's current one: the one that died was replaced.
      if (status?.running) return
      const reason = status?.oomKilled
        ? 'the sandbox ran out of memory and its container was killed'
        : status
          ? `the container exited unexpectedly (code ${event.exitCode ?? 'unknown'})`
          : 'the container was removed behind the server’s back'
      await this.#recovery.recover(row, reason)
    }).catch((error: unknown) =>
      log.warn({ err: error, sandboxId: event.sandboxId }, 'could not react to an exit'),
    )
  }
}
