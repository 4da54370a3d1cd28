import pg from 'pg'
import type { Coordination, LeaderLease } from './types.js'
import { CONNECT_TIMEOUT_MS, connectionConfig, type StoreLog } from './postgres-db.js'
import { storeError } from './postgres-errors.js'

/**
 * First keys of the two-key advisory locks ('WMLK' and 'WMLD'): named
 * locks and the leader lease each have a space of their own, apart from
 * whatever else shares the database.
 */
const LOCK_NAMESPACE = 0x574d_4c4b
const LEADER_NAMESPACE = 0x574d_4c44
const LEADER_KEY = 1

/** Lock holders each keep a connection while their function runs; this many at once per server. */
const DEFAULT_LOCK_POOL_SIZE = 20

/** How long a lease check may take before the lease counts as lost. */
const LEASE_CHECK_TIMEOUT_MS = 3000

/** Options of PostgresCoordination. */
export interface PostgresCoordinationOptions {
  log?: StoreLog
  lockPoolSize?: number
}

/**
 * Cluster-wide locks and the leader lease as PostgreSQL session advisory
 * locks. Each is held by one connection, so a server that dies (even by
 * kill -9) releases everything it held as soon as the database sees its
 * connection close. Lock holders use a pool of their own, so holders
 * waiting on each other never starve the store's queries.
 */
export class PostgresCoordination implements Coordination {
  readonly replicated = true
  readonly #url: string
  readonly #log: StoreLog | undefined
  readonly #locks: pg.Pool
  readonly #leases = new Set<pg.Client>()

  constructor(url: string, options: PostgresCoordinationOptions = {}) {
    this.#url = url
    this.#log = options.log
    const config = connectionConfig(url)
    this.#locks = new pg.Pool({
      ...config,
      max: options.lockPoolSize ?? DEFAULT_LOCK_POOL_SIZE,
      // Waiting for a free lock connection is waiting for other holders, not a database that
      // is gone: no deadline on the queue, only on opening a connection (LockClient).
      connectionTimeoutMillis: 0,
      Client: LockClient,
    })
    this.#locks.on('error', (error) => {
      this.#log?.warn({ err: error }, 'an idle lock connection to the database was lost')
    })
  }

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.#locks.connect()
    } catch (error) {
      throw storeError(error)
    }
    // While fn runs the connection is idle: an error then (the database went away) is
    // reported here instead of crashing the process; the lock went with the session.
    let lost: Error | undefined
    const onError = (error: Error) => {
      lost = error
      this.#log?.warn({ err: error, lock: key }, 'the connection holding a lock was lost')
    }
    client.on('error', onError)
    try {
      try {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, key])
      } catch (error) {
        lost = error as Error
        throw storeError(error)
      }
      try {
        return await fn()
      } finally {
        if (!lost) {
          await client
            .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, key])
            .catch((error: Error) => {
              // The session is gone or unusable: destroying it releases the lock.
              lost = error
            })
        }
      }
    } finally {
      client.removeListener('error', onError)
      client.release(lost)
    }
  }

  async tryLead(): Promise<LeaderLease | undefined> {
    const client = new pg.Client({
      ...connectionConfig(this.#url),
      query_timeout: LEASE_CHECK_TIMEOUT_MS,
    })
    let lost = false
    const markLost = (error?: Error) => {
      if (!lost && error) this.#log?.warn({ err: error }, 'the leader lease connection was lost')
      lost = true
    }
    client.on('error', markLost)
    client.on('end', () => markLost())
    try {
      await client.connect()
      const { rows } = await client.query<{ held: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS held',
        [LEADER_NAMESPACE, LEADER_KEY],
      )
      if (!rows[0]?.held) {
        await client.end()
        return undefined
      }
    } catch (error) {
      await client.end().catch(() => undefined)
      throw storeError(error)
    }
    this.#leases.add(client)
    // A lost lease's socket is destroyed, not ended politely: the peer may never answer.
    const drop = () => {
      this.#leases.delete(client)
      lost = true
      client.connection.stream.destroy()
    }
    return {
      check: async () => {
        if (!lost) {
          try {
            // Still ours: the session is alive and holds the lock (not merely connected).
            const { rows } = await client.query<{ held: boolean }>(
              `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                 AND pid = pg_backend_pid() AND classid = $1::int::oid AND objid = $2::int::oid
                 AND objsubid = 2 AND granted) AS held`,
              [LEADER_NAMESPACE, LEADER_KEY],
            )
            if (rows[0]?.held) return true
          } catch (error) {
            markLost(error as Error)
          }
        }
        drop()
        return false
      },
      release: async () => {
        if (lost) return drop()
        try {
          // Unlocked before the connection closes, so the next leader need not wait for it.
          await client.query('SELECT pg_advisory_unlock($1, $2)', [LEADER_NAMESPACE, LEADER_KEY])
          this.#leases.delete(client)
          lost = true
          await client.end()
        } catch {
          drop()
        }
      },
    }
  }

  /** Gives up every lease and closes the lock connections (waiting for running holders). */
  async close(): Promise<void> {
    for (const client of this.#leases) client.connection.stream.destroy()
    this.#leases.clear()
    await this.#locks.end()
  }
}

/**
 * A lock-pool connection: opening it has the store's deadline even though
 * waiting for a free one in the pool has none.
 */
class LockClient extends pg.Client {
  constructor(config: pg.ClientConfig = {}) {
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
  }
}
