import pg from 'pg'
import { storeError } from './postgres-errors.js'

/** How long a call waits for a connection (new or from the pool) before the database counts as gone. */
export const CONNECT_TIMEOUT_MS = 5000

/** The few logger methods the PostgreSQL store uses (a pino logger has them). */
export interface StoreLog {
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/**
 * BIGINT columns (sizes, times in ms, sequence numbers) arrive as numbers:
 * every value kept in them is far below 2^53, and records carry numbers.
 */
const INT8_OID = 20
export const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
}

/** The connection settings shared by the store's pools and its leader connection. */
export function connectionConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // The database drops the session of a server that vanished without closing its socket
    // (host down, network cut) within about 25 s instead of the system's 2 hours: its locks
    // and lease go with it.
    options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    types: TYPES,
    application_name: 'wm-server',
  }
}

/** Something that runs a query: the pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>
}

/**
 * The store's query pool: every call's error goes through `storeError`, so
 * a lost database rejects with StoreUnavailableError and nothing else does.
 */
export class PgDb implements Queryable {
  readonly pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.pool = pool
  }

  async query<R extends pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params)
    } catch (error) {
      throw storeError(error)
    }
  }

  /**
   * A query run on nearly every request: named, so each connection parses
   * and plans it once and then only binds and executes it (one step less per
   * call). Its columns must be listed, not `*`: a prepared `SELECT *` fails
   * once a migration adds a column under a connection that prepared it.
   */
  async prepared<R extends pg.QueryResultRow>(
    name: string,
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>({ name, text: sql, values: params })
    } catch (error) {
      throw storeError(error)
    }
  }

  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  async transaction<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw storeError(error)
    }
    let broken: unknown
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // A connection that cannot roll back is not put back in the pool.
        broken = rollbackError
      })
      throw storeError(error)
    } finally {
      client.release(broken instanceof Error ? broken : undefined)
    }
  }
}
