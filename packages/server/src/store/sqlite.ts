import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type {
  MetadataStore,
  SandboxFilter,
  SandboxRecord,
  SandboxUpdate,
  WorkspaceRecord,
} from './types.js'
import { SqliteSandboxes } from './sqlite-sandboxes.js'
import { MIGRATIONS } from './migrations.js'

interface WorkspaceRow {
  id: string
  name: string | null
  metadata: string | null
  created_at: string
  updated_at: string
}

function toRecord(row: WorkspaceRow): WorkspaceRecord {
  return {
    id: row.id,
    name: row.name,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, string>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

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

  /** Opens (creating if needed) the database at `file`; `:memory:` for a private in-memory one. */
  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL')
    this.#db.pragma('foreign_keys = ON')
    this.#db.pragma('busy_timeout = 5000')
    migrate(this.#db)
    this.#sandboxes = new SqliteSandboxes(this.#db)
  }

  async insertWorkspace(record: WorkspaceRecord): Promise<void> {
    this.#db
      .prepare(
        'INSERT INTO workspaces (id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        record.id,
        record.name,
        record.metadata === null ? null : JSON.stringify(record.metadata),
        record.createdAt,
        record.updatedAt,
      )
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM workspaces WHERE id = ?').get(id) as
      WorkspaceRow | undefined
    return row && toRecord(row)
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    const rows = this.#db.prepare('SELECT * FROM workspaces ORDER BY seq').all() as WorkspaceRow[]
    return rows.map(toRecord)
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

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get()
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close()
  }
}
