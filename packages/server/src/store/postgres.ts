import pg from 'pg'
import type {
  CheckpointRecord,
  MetadataStore,
  SandboxFilter,
  SandboxRecord,
  SandboxUpdate,
  WorkspaceRecord,
  WorkspaceUpdate,
} from './types.js'
import type { ValueSealer } from './sealed-values.js'
import { PgDb, connectionConfig, type StoreLog } from './postgres-db.js'
import { migrate } from './postgres-migrations.js'
import { PgSandboxes } from './postgres-sandboxes.js'
import { PgCheckpoints } from './postgres-checkpoints.js'
import { PgShared } from './postgres-shared.js'
import { PgWorkspaces } from './postgres-workspaces.js'
import { PostgresCoordination } from './postgres-coordination.js'

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions {
  /** Seals secrets in rows (env, agent token), as the SQLite store does. */
  sealer?: ValueSealer
  /** Connections for queries (default 10); locks and the lease use their own. */
  poolSize?: number
  /** Where lost connections are reported. */
  log?: StoreLog
}

/**
 * The metadata store in a PostgreSQL database, which several server
 * replicas share: the same rows and records as the SQLite store, plus
 * coordination (advisory locks, leader lease) across servers. A database
 * that cannot be reached makes calls reject with StoreUnavailableError.
 */
export class PostgresStore implements MetadataStore {
  readonly #db: PgDb
  readonly #workspaces: PgWorkspaces
  readonly #sandboxes: PgSandboxes
  readonly #checkpoints: PgCheckpoints
  readonly #shared: PgShared
  readonly coordination: PostgresCoordination
  #closed = false

  private constructor(db: PgDb, coordination: PostgresCoordination, sealer?: ValueSealer) {
    this.#db = db
    this.#sandboxes = new PgSandboxes(db, sealer)
    this.#workspaces = new PgWorkspaces(db, this.#sandboxes)
    this.#checkpoints = new PgCheckpoints(db)
    this.#shared = new PgShared(db)
    this.coordination = coordination
  }

  /**
   * Connects to the database at `url` (`postgres://user:password@host/db`)
   * and brings its schema up to date; rejects with StoreUnavailableError
   * when the database cannot be reached.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ ...connectionConfig(url), max: options.poolSize ?? 10 })
    // An idle connection that breaks is dropped by the pool; unheard, the event would crash the process.
    pool.on('error', (error) => {
      options.log?.warn({ err: error }, 'an idle connection to the database was lost')
    })
    const db = new PgDb(pool)
    try {
      await migrate(db)
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw error
    }
    const coordination = new PostgresCoordination(url, options.log ? { log: options.log } : {})
    return new PostgresStore(db, coordination, options.sealer)
  }

  insertWorkspace(record: WorkspaceRecord): Promise<void> {
    return this.#workspaces.insert(record)
  }

  getWorkspace(id: string): Promise<WorkspaceRecord | undefined> {
    return this.#workspaces.get(id)
  }

  listWorkspaces(): Promise<WorkspaceRecord[]> {
    return this.#workspaces.list()
  }

  updateWorkspace(id: string, update: WorkspaceUpdate): Promise<WorkspaceRecord | undefined> {
    return this.#workspaces.update(id, update)
  }

  deleteWorkspace(id: string): Promise<boolean> {
    return this.#workspaces.delete(id)
  }

  deleteWorkspaceIfUnused(id: string): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.#workspaces.deleteIfUnused(id)
  }

  insertSandbox(record: SandboxRecord): Promise<void> {
    return this.#sandboxes.insert(record)
  }

  getSandbox(id: string): Promise<SandboxRecord | undefined> {
    return this.#sandboxes.get(id)
  }

  listSandboxes(filter?: SandboxFilter): Promise<SandboxRecord[]> {
    return this.#sandboxes.list(filter)
  }

  updateSandbox(id: string, update: SandboxUpdate): Promise<SandboxRecord | undefined> {
    return this.#sandboxes.update(id, update)
  }

  deleteSandbox(id: string): Promise<boolean> {
    return this.#sandboxes.delete(id)
  }

  nfsExportId(workspaceId: string): Promise<number> {
    return this.#workspaces.nfsExportId(workspaceId)
  }

  listNfsExportIds(): Promise<Map<string, number>> {
    return this.#workspaces.listNfsExportIds()
  }

  insertCheckpoint(record: CheckpointRecord): Promise<void> {
    return this.#checkpoints.insert(record)
  }

  getCheckpoint(id: string): Promise<CheckpointRecord | undefined> {
    return this.#checkpoints.get(id)
  }

  listCheckpoints(sandboxId?: string): Promise<CheckpointRecord[]> {
    return this.#checkpoints.list(sandboxId)
  }

  deleteCheckpoint(id: string): Promise<boolean> {
    return this.#checkpoints.delete(id)
  }

  claimSetting(key: string, value: string): Promise<string> {
    return this.#shared.claimSetting(key, value)
  }

  getSetting(key: string): Promise<string | undefined> {
    return this.#shared.getSetting(key)
  }

  putSetting(key: string, value: string): Promise<void> {
    return this.#shared.putSetting(key, value)
  }

  recordActivity(times: ReadonlyMap<string, number>): Promise<void> {
    return this.#shared.recordActivity(times)
  }

  listActivity(): Promise<Map<string, number>> {
    return this.#shared.listActivity()
  }

  async ping(): Promise<void> {
    await this.#db.query('SELECT 1')
  }

  /** Gives up the lease and locks, then closes every connection (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.coordination.close()
    await this.#db.pool.end()
  }
}
