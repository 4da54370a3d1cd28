import type { FastifyBaseLogger } from 'fastify'
import type { LeaderLease, MetadataStore } from '../store/index.js'

/** The store setting naming the replica that last took the lease. */
export const LEADER_SETTING = 'leader'

/** What the election needs. */
export interface LeadershipOptions {
  store: MetadataStore
  /** This server's name (WM_REPLICA_ID). */
  replicaId: string
  /** How often a follower tries to take the lease and the leader checks it still holds it. */
  intervalMs: number
  log: FastifyBaseLogger
  /** Starts the work only the leader does; called once each time the lease is taken. */
  onLead: () => Promise<void>
  /** Stops it; called when the lease is lost, and on close while leading. */
  onFollow: () => Promise<void>
  /** Called on every check while leading, after the lease was confirmed (periodic leader duties). */
  onTick?: () => Promise<void>
}

/** What `/health` and `/metrics` say about this replica. */
export interface ReplicaStatus {
  id: string
  leader: boolean
  /** The replica that last took the lease, as the store says (null before anyone did). */
  leaderId: string | null
}

/**
 * Elects the one replica that does the background work that must happen
 * once (reconciler, janitor, expiry, engine events, sweeps, NFS). The lease
 * is the store's (`Coordination.tryLead`): with PostgreSQL an advisory lock
 * held on a connection, which the database frees as soon as that connection
 * closes, so a leader killed with -9 is replaced within about one interval.
 * A leader that finds its lease gone stops its work at once.
 */
export class Leadership {
  readonly #options: LeadershipOptions
  #lease: LeaderLease | undefined
  #leaderId: string | null = null
  #timer: NodeJS.Timeout | undefined
  #tick: Promise<void> | undefined
  #closed = false

  constructor(options: LeadershipOptions) {
    this.#options = options
  }

  /** This replica's view: whether it leads, and who does. */
  status(): ReplicaStatus {
    return {
      id: this.#options.replicaId,
      leader: this.#lease !== undefined,
      leaderId: this.#leaderId,
    }
  }

  /**
   * Tries once now (a lone server leads before it serves; a failure to start
   * the leader's work fails the start), then every interval.
   */
  async start(): Promise<void> {
    this.#tick = this.#step().finally(() => (this.#tick = undefined))
    await this.#tick
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs)
    this.#timer.unref()
  }

  /** One election step (skipped while one runs): take the lease, or check it is still held. */
  tick(): Promise<void> {
    this.#tick ??= this.#step()
      .catch((error: unknown) =>
        this.#options.log.warn({ err: error }, 'leader election step failed'),
      )
      .finally(() => (this.#tick = undefined))
    return this.#tick
  }

  /** Stops trying; a leader stops its work and gives the lease up for another replica. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    await this.#tick
    const lease = this.#lease
    if (!lease) return
    this.#lease = undefined
    await this.#options.onFollow()
    await lease.release().catch((error: unknown) => {
      this.#options.log.warn({ err: error }, 'could not release the leader lease')
    })
  }

  async #step(): Promise<void> {
    if (this.#closed) return
    const { store, replicaId, log } = this.#options
    if (this.#lease) {
      if (await this.#lease.check()) {
        await this.#options.onTick?.()
      } else {
        this.#lease = undefined
        log.error({ replica: replicaId }, 'lost the leader lease; stopping the leader’s work')
        await this.#options.onFollow()
      }
    } else {
      const lease = await store.coordination.tryLead()
      if (lease) {
        this.#lease = lease
        try {
          await store.putSetting(LEADER_SETTING, replicaId)
          log.info({ replica: replicaId }, 'took the leader lease')
          await this.#options.onLead()
        } catch (error) {
          // A leader that cannot do its work must not keep others from doing it.
          this.#lease = undefined
          await this.#options.onFollow().catch(() => undefined)
          await lease.release().catch(() => undefined)
          throw error
        }
      }
    }
    this.#leaderId = this.#lease ? replicaId : ((await store.getSetting(LEADER_SETTING)) ?? null)
  }
}
