import type { SandboxFilter, SandboxRecord, SandboxUpdate } from './types.js'
import type { ValueSealer } from './sealed-values.js'
import type { PgDb, Queryable } from './postgres-db.js'
import { SANDBOX_COLUMNS, columnValues, inTheClear, sandboxFromRow, sandboxToRow } from './rows.js'
import type { SandboxRow, Secrets } from './rows.js'

/** The columns of SandboxRow, named for the prepared read of one row. */
const COLUMNS = SANDBOX_COLUMNS.join(', ')

/** Inserts a SandboxRow by positional parameters in the order of SANDBOX_COLUMNS. */
const INSERT = `INSERT INTO sandboxes (${COLUMNS})
  VALUES (${SANDBOX_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`

/** Columns an update may set, by field of SandboxUpdate. */
const UPDATE_COLUMNS: Record<keyof SandboxUpdate, string> = {
  state: 'state',
  errorMessage: 'error_message',
  desiredState: 'desired_state',
  operation: 'operation',
  image: 'image',
  expiresAt: 'expires_at',
  networkMode: 'network_mode',
  networkAllow: 'network_allow',
}

/** Sandbox rows in PostgreSQL; used by PostgresStore. Env and agent token are sealed with `sealer`. */
export class PgSandboxes {
  readonly #db: PgDb
  readonly #secrets: Secrets

  constructor(db: PgDb, sealer?: ValueSealer) {
    this.#db = db
    this.#secrets = sealer ?? inTheClear
  }

  async insert(record: SandboxRecord): Promise<void> {
    const row = sandboxToRow(record, this.#secrets, 'boolean')
    await this.#db.query(INSERT, columnValues(row, SANDBOX_COLUMNS))
  }

  async get(id: string): Promise<SandboxRecord | undefined> {
    // Every call on a sandbox reads its row first: prepared once per connection.
    const { rows } = await this.#db.prepared<SandboxRow>(
      'wm_get_sandbox',
      `SELECT ${COLUMNS} FROM sandboxes WHERE id = $1`,
      [id],
    )
    return rows[0] && sandboxFromRow(rows[0], this.#secrets)
  }

  async list(filter: SandboxFilter = {}): Promise<SandboxRecord[]> {
    const clauses: string[] = []
    const params: string[] = []
    if (filter.workspaceId !== undefined) {
      params.push(filter.workspaceId)
      clauses.push(`workspace_id = $${params.length}`)
    }
    if (filter.state !== undefined) {
      params.push(filter.state)
      clauses.push(`state = $${params.length}`)
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''
    const { rows } = await this.#db.query<SandboxRow>(
      `SELECT * FROM sandboxes ${where} ORDER BY seq`,
      params,
    )
    return rows.map((row) => sandboxFromRow(row, this.#secrets))
  }

  async update(id: string, update: SandboxUpdate): Promise<SandboxRecord | undefined> {
    const params: unknown[] = [id, new Date().toISOString()]
    const sets = ['updated_at = $2']
    for (const [field, column] of Object.entries(UPDATE_COLUMNS)) {
      const value = update[field as keyof SandboxUpdate]
      if (value === undefined) continue
      params.push(Array.isArray(value) ? JSON.stringify(value) : value)
      sets.push(`${column} = $${params.length}`)
    }
    const { rows } = await this.#db.query<SandboxRow>(
      `UPDATE sandboxes SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
      params,
    )
    return rows[0] && sandboxFromRow(rows[0], this.#secrets)
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM sandboxes WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }

  /** How many sandboxes use the workspace, read inside the caller's transaction. */
  async countForWorkspace(client: Queryable, workspaceId: string): Promise<number> {
    const { rows } = await client.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM sandboxes WHERE workspace_id = $1',
      [workspaceId],
    )
    return rows[0]?.n ?? 0
  }
}
