import type Database from 'better-sqlite3'
import type { SandboxFilter, SandboxRecord, SandboxUpdate } from './types.js'
import type { ValueSealer } from './sealed-values.js'
import { SANDBOX_COLUMNS, inTheClear, sandboxFromRow, sandboxToRow } from './rows.js'
import type { SandboxRow, Secrets } from './rows.js'

/** Inserts a SandboxRow by its named (`@column`) parameters. */
const INSERT = `INSERT INTO sandboxes (${SANDBOX_COLUMNS.join(', ')})
  VALUES (${SANDBOX_COLUMNS.map((column) => `@${column}`).join(', ')})`

/** Sandbox rows in SQLite; used by SqliteStore. Env and agent token are sealed with `sealer`. */
export class SqliteSandboxes {
  readonly #db: Database.Database
  readonly #secrets: Secrets

  constructor(db: Database.Database, sealer?: ValueSealer) {
    this.#db = db
    this.#secrets = sealer ?? inTheClear
  }

  insert(record: SandboxRecord): void {
    this.#db.prepare(INSERT).run(sandboxToRow(record, this.#secrets, 'integer'))
  }

  get(id: string): SandboxRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM sandboxes WHERE id = ?').get(id) as
      SandboxRow | undefined
    return row && sandboxFromRow(row, this.#secrets)
  }

  list(filter: SandboxFilter = {}): SandboxRecord[] {
    const clauses: string[] = []
    const params: string[] = []
    if (filter.workspaceId !== undefined) {
      clauses.push('workspace_id = ?')
      params.push(filter.workspaceId)
    }
    if (filter.state !== undefined) {
      clauses.push('state = ?')
      params.push(filter.state)
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''
    const rows = this.#db
      .prepare(`SELECT * FROM sandboxes ${where} ORDER BY seq`)
      .all(...params) as SandboxRow[]
    return rows.map((row) => sandboxFromRow(row, this.#secrets))
  }

  update(id: string, update: SandboxUpdate): SandboxRecord | undefined {
    const sets = ['updated_at = @updatedAt']
    if (update.state !== undefined) sets.push('state = @state')
    if (update.errorMessage !== undefined) sets.push('error_message = @errorMessage')
    if (update.desiredState !== undefined) sets.push('desired_state = @desiredState')
    if (update.operation !== undefined) sets.push('operation = @operation')
    if (update.image !== undefined) sets.push('image = @image')
    if (update.expiresAt !== undefined) sets.push('expires_at = @expiresAt')
    if (update.networkMode !== undefined) sets.push('network_mode = @networkMode')
    if (update.networkAllow !== undefined) sets.push('network_allow = @networkAllowJson')
    const { networkAllow, ...plain } = update
    const networkAllowJson = networkAllow ? JSON.stringify(networkAllow) : null
    const changes = this.#db
      .prepare(`UPDATE sandboxes SET ${sets.join(', ')} WHERE id = @id`)
      .run({ ...plain, networkAllowJson, id, updatedAt: new Date().toISOString() }).changes
    return changes ? this.get(id) : undefined
  }

  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM sandboxes WHERE id = ?').run(id).changes > 0
  }

  countForWorkspace(workspaceId: string): number {
    const row = this.#db
      .prepare('SELECT COUNT(*) AS n FROM sandboxes WHERE workspace_id = ?')
      .get(workspaceId) as { n: number }
    return row.n
  }
}
