import type Database from 'better-sqlite3'
import type { CheckpointRecord } from './types.js'

interface CheckpointRow {
  id: string
  sandbox_id: string
  workspace_id: string
  name: string | null
  kind: CheckpointRecord['kind']
  image: string
  created_at: string
}

function toRecord(row: CheckpointRow): CheckpointRecord {
  return {
    id: row.id,
    sandboxId: row.sandbox_id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind,
    image: row.image,
    createdAt: row.created_at,
  }
}

/** Checkpoint rows in SQLite; used by SqliteStore. */
export class SqliteCheckpoints {
  readonly #db: Database.Database

  constructor(db: Database.Database) {
    this.#db = db
  }

  insert(record: CheckpointRecord): void {
    this.#db
      .prepare(
        `INSERT INTO checkpoints (id, sandbox_id, workspace_id, name, kind, image, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.sandboxId,
        record.workspaceId,
        record.name,
        record.kind,
        record.image,
        record.createdAt,
      )
  }

  get(id: string): CheckpointRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as
      CheckpointRow | undefined
    return row && toRecord(row)
  }

  list(sandboxId?: string): CheckpointRecord[] {
    const rows = (
      sandboxId === undefined
        ? this.#db.prepare('SELECT * FROM checkpoints ORDER BY seq').all()
        : this.#db
            .prepare('SELECT * FROM checkpoints WHERE sandbox_id = ? ORDER BY seq')
            .all(sandboxId)
    ) as CheckpointRow[]
    return rows.map(toRecord)
  }

  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM checkpoints WHERE id = ?').run(id).changes > 0
  }
}
