import type { WorkspaceRecord, WorkspaceUpdate } from './types.js'
import type { PgDb } from './postgres-db.js'
import type { PgSandboxes } from './postgres-sandboxes.js'
import { WORKSPACE_COLUMNS, columnValues, workspaceFromRow, workspaceToRow } from './rows.js'
import type { WorkspaceRow } from './rows.js'

/** Ganesha export ids are 16 bits; 0 is its pseudo-filesystem root. */
const MAX_EXPORT_ID = 65535

/** Inserts a WorkspaceRow by positional parameters in the order of WORKSPACE_COLUMNS. */
const INSERT = `INSERT INTO workspaces (${WORKSPACE_COLUMNS.join(', ')})
  VALUES (${WORKSPACE_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`

/** Workspace rows and their NFS export ids in PostgreSQL; used by PostgresStore. */
export class PgWorkspaces {
  readonly #db: PgDb
  readonly #sandboxes: PgSandboxes

  constructor(db: PgDb, sandboxes: PgSandboxes) {
    this.#db = db
    this.#sandboxes = sandboxes
  }

  async insert(record: WorkspaceRecord): Promise<void> {
    await this.#db.query(INSERT, columnValues(workspaceToRow(record), WORKSPACE_COLUMNS))
  }

  async get(id: string): Promise<WorkspaceRecord | undefined> {
    const { rows } = await this.#db.query<WorkspaceRow>('SELECT * FROM workspaces WHERE id = $1', [
      id,
    ])
    return rows[0] && workspaceFromRow(rows[0])
  }

  async list(): Promise<WorkspaceRecord[]> {
    const { rows } = await this.#db.query<WorkspaceRow>('SELECT * FROM workspaces ORDER BY seq')
    return rows.map(workspaceFromRow)
  }

  async update(id: string, update: WorkspaceUpdate): Promise<WorkspaceRecord | undefined> {
    const { rows } = await this.#db.query<WorkspaceRow>(
      `UPDATE workspaces SET quota_bytes = CASE WHEN $2 THEN $3::BIGINT ELSE quota_bytes END,
         updated_at = $4 WHERE id = $1 RETURNING *`,
      [id, 'quotaBytes' in update, update.quotaBytes ?? null, new Date().toISOString()],
    )
    return rows[0] && workspaceFromRow(rows[0])
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM workspaces WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }

  async deleteIfUnused(id: string): Promise<'deleted' | 'missing' | 'in-use'> {
    return this.#db.transaction(async (client) => {
      // Locking the row first makes a concurrent sandbox insert (whose foreign-key check
      // takes a share lock on it) either finish before the count or wait for the delete.
      const { rowCount } = await client.query('SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE', [
        id,
      ])
      if (!rowCount) return 'missing' as const
      if ((await this.#sandboxes.countForWorkspace(client, id)) > 0) return 'in-use' as const
      await client.query('DELETE FROM workspaces WHERE id = $1', [id])
      return 'deleted' as const
    })
  }

  async nfsExportId(workspaceId: string): Promise<number> {
    return this.#db.transaction(async (client) => {
      // The high-water row is the allocation lock: servers assign ids one at a time.
      const { rows } = await client.query<{ last_id: number }>(
        'SELECT last_id FROM nfs_export_high_water FOR UPDATE',
      )
      const existing = await client.query<{ export_id: number }>(
        'SELECT export_id FROM nfs_exports WHERE workspace_id = $1',
        [workspaceId],
      )
      if (existing.rows[0]) return existing.rows[0].export_id
      const last = rows[0]?.last_id ?? 0
      if (last < MAX_EXPORT_ID) {
        // Rejects (foreign key) when the workspace does not exist; the mark then rolls back.
        await client.query('INSERT INTO nfs_exports (export_id, workspace_id) VALUES ($1, $2)', [
          last + 1,
          workspaceId,
        ])
        await client.query('UPDATE nfs_export_high_water SET last_id = $1', [last + 1])
        return last + 1
      }
      // Past 65535: the lowest free id (the oldest ids were freed longest ago).
      const free = await client.query<{ id: number }>(
        `SELECT 1 AS id WHERE NOT EXISTS (SELECT 1 FROM nfs_exports WHERE export_id = 1)
         UNION ALL
         SELECT export_id + 1 FROM nfs_exports e WHERE export_id < $1 AND NOT EXISTS
           (SELECT 1 FROM nfs_exports f WHERE f.export_id = e.export_id + 1)
         ORDER BY id LIMIT 1`,
        [MAX_EXPORT_ID],
      )
      const id = free.rows[0]?.id
      if (id === undefined) throw new Error('all 65535 NFS export ids are in use')
      await client.query('INSERT INTO nfs_exports (export_id, workspace_id) VALUES ($1, $2)', [
        id,
        workspaceId,
      ])
      return id
    })
  }

  async listNfsExportIds(): Promise<Map<string, number>> {
    const { rows } = await this.#db.query<{ workspace_id: string; export_id: number }>(
      'SELECT workspace_id, export_id FROM nfs_exports',
    )
    return new Map(rows.map((row) => [row.workspace_id, row.export_id]))
  }
}
