import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type {
  CheckpointRecord,
  Coordination,
  MetadataStore,
  SandboxFilter,
  SandboxRecord,
  SandboxUpdate,
  WorkspaceRecord,
  WorkspaceUpdate,
} from './types.js'
import type { ValueSealer } from './sealed-values.js'
import { cacheStatements } from './sqlite-statements.js'
import { SqliteSandboxes } from './sqlite-sandboxes.js'
import { SqliteCheckpoints } from './sqlite-checkpoints.js'
import { MIGRATIONS } from './migrations.js'
import { SqliteShared } from './sqlite-shared.js'
import { SINGLE_SERVER } from './single-server.js'
import { WORKSPACE_COLUMNS, workspaceFromRow, workspaceToRow } from './rows.js'
import type { WorkspaceRow } from './rows.js'

/** Ganesha export ids are 16 bits; 0 is its pseudo-filesystem root. */
const MAX_EXPORT_ID = 65535

/** Inserts a WorkspaceRow by its named (`@column`) parameters. */
const INSERT_WORKSPACE = `INSERT INTO workspaces (${WORKSPACE_COLUMNS.join(', ')})
  VALUES (${WORKSPACE_COLUMNS.map((column) => `@${column}`).join(', ')})`

/** Applies every migration newer than the database's `user_version`, each in a transaction. */
function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  for (const [index, sql] of MIGRATIONS.entries()) {
    const version = index + 1
    if (version <= current) continue
    db.transaction(() => {
      db.exec(sql)
      db.pragma(`user_version = ${version}`)
    })()
  }
}

/**
 * The embedded metadata store: one SQLite file in WAL mode. Calls are
 * synchronous underneath (better-sqlite3) and take microseconds, so they
 * are wrapped in promises only to satisfy the interface.
 */
export class SqliteStore implements MetadataStore {
  readonly #db: Database.Database
  readonly #sandboxes: SqliteSandboxes
  readonly #checkpoints: SqliteCheckpoints
  readonly #shared: SqliteShared
  /** One server per SQLite file: locks and the lease are in-process. */
  readonly coordination: Coordination = SINGLE_SERVER

  /**
   * Opens (creating if needed) the database at `file`; `:memory:` for a
   * private in-memory one. With `sealer`, secrets in rows are sealed.
   */
  constructor(file: string, options: { sealer?: ValueSealer } = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL')
    this.#db.pragma('foreign_keys = ON')
    this.#db.pragma('busy_timeout = 5000')
    migrate(this.#db)
    cacheStatements(this.#db)
    this.#sandboxes = new SqliteSandboxes(this.#db, options.sealer)
    this.#checkpoints = new SqliteCheckpoints(this.#db)
    this.#shared = new SqliteShared(this.#db)
  }

  async insertWorkspace(record: WorkspaceRecord): Promise<void> {
    this.#db.prepare(INSERT_WORKSPACE).run(workspaceToRow(record))
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM workspaces WHERE id = ?').get(id) as
      WorkspaceRow | undefined
    return row && workspaceFromRow(row)
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    const rows = this.#db.prepare('SELECT * FROM workspaces ORDER BY seq').all() as WorkspaceRow[]
    return rows.map(workspaceFromRow)
  }

  async updateWorkspace(id: string, update: WorkspaceUpdate): Promise<WorkspaceRecord | undefined> {
    const row = this.#db
      .prepare(
        `UPDATE workspaces SET quota_bytes = CASE WHEN @set THEN @quota ELSE quota_bytes END,
           updated_at = @now WHERE id = @id RETURNING *`,
      )
      .get({
        id,
        set: 'quotaBytes' in update ? 1 : 0,
        quota: update.quotaBytes ?? null,
        now: new Date().toISOString(),
      }) as WorkspaceRow | undefined
    return row && workspaceFromRow(row)
  }

  async deleteWorkspace(id: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM workspaces WHERE id = ?').run(id).changes > 0
  }

  async deleteWorkspaceIfUnused(id: string): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.#db.transaction(() => {
      if (this.#sandboxes.countForWorkspace(id) > 0) return 'in-use' as const
      const deleted = this.#db.prepare('DELETE FROM workspaces WHERE id = ?').run(id).changes > 0
      return deleted ? ('deleted' as const) : ('missing' as const)
    })()
  }

  async insertSandbox(record: SandboxRecord): Promise<void> {
    this.#sandboxes.insert(record)
  }

  async getSandbox(id: string): Promise<SandboxRecord | undefined> {
    return this.#sandboxes.get(id)
  }

  async listSandboxes(filter?: SandboxFilter): Promise<SandboxRecord[]> {
    return this.#sandboxes.list(filter)
  }

  async updateSandbox(id: string, update: SandboxUpdate): Promise<SandboxRecord | undefined> {
    return this.#sandboxes.update(id, update)
  }

  async deleteSandbox(id: string): Promise<boolean> {
    return this.#sandboxes.delete(id)
  }

  async nfsExportId(workspaceId: string): Promise<number> {
    return this.#db.transaction(() => {
      const existing = this.#db
        .prepare('SELECT export_id FROM nfs_exports WHERE workspace_id = ?')
        .get(workspaceId) as { export_id: number } | undefined
      if (existing) return existing.export_id
      const next = (
        this.#db.prepare('SELECT MAX(export_id) AS id FROM nfs_exports').get() as {
          id: number | null
        }
      ).id
      const seq = this.#db
        .prepare("SELECT seq FROM sqlite_sequence WHERE name = 'nfs_exports'")
        .get() as { seq: number } | undefined
      if (Math.max(next ?? 0, seq?.seq ?? 0) < MAX_EXPORT_ID) {
        return Number(
          this.#db.prepare('INSERT INTO nfs_exports (workspace_id) VALUES (?)').run(workspaceId)
            .lastInsertRowid,
        )
      }
      // Past 65535: the lowest free id (the oldest ids were freed longest ago).
      const free = this.#db
        .prepare(
          `SELECT 1 AS id WHERE NOT EXISTS (SELECT 1 FROM nfs_exports WHERE export_id = 1)
           UNION ALL
           SELECT export_id + 1 FROM nfs_exports e WHERE export_id < ? AND NOT EXISTS
             (SELECT 1 FROM nfs_exports f WHERE f.export_id = e.export_id + 1)
           ORDER BY id LIMIT 1`,
        )
        .get(MAX_EXPORT_ID) as { id: number } | undefined
      if (!free) throw new Error('all 65535 NFS export ids are in use')
      this.#db
        .prepare('INSERT INTO nfs_exports (export_id, workspace_id) VALUES (?, ?)')
        .run(free.id, workspaceId)
      return free.id
    })()
  }

  async listNfsExportIds(): Promise<Map<string, number>> {
    const rows = this.#db
      .prepare('SELECT workspace_id, export_id FROM nfs_exports')
      .all() as Array<{
      workspace_id: string
      export_id: number
    }>
    return new Map(rows.map((row) => [row.workspace_id, row.export_id]))
  }

  async insertCheckpoint(record: CheckpointRecord): Promise<void> {
    this.#checkpoints.insert(record)
  }

  async getCheckpoint(id: string): Promise<CheckpointRecord | undefined> {
    return this.#checkpoints.get(id)
  }

  async listCheckpoints(sandboxId?: string): Promise<CheckpointRecord[]> {
    return this.#checkpoints.list(sandboxId)
  }

  async deleteCheckpoint(id: string): Promise<boolean> {
    return this.#checkpoints.delete(id)
  }

  async claimSetting(key: string, value: string): Promise<string> {
    return this.#shared.claimSetting(key, value)
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.#shared.getSetting(key)
  }

  async putSetting(key: string, value: string): Promise<void> {
    this.#shared.putSetting(key, value)
  }

  async recordActivity(times: ReadonlyMap<string, number>): Promise<void> {
    this.#shared.recordActivity(times)
  }

  async listActivity(): Promise<Map<string, number>> {
    return this.#shared.listActivity()
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get()
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close()
  }
}
