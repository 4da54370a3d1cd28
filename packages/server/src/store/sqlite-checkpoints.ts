import type Database from 'better-sqlite3'
import type { CheckpointRecord } from './types.js'
import { CHECKPOINT_COLUMNS, checkpointFromRow, checkpointToRow } from './rows.js'
import type { CheckpointRow } from './rows.js'

/** Inserts a CheckpointRow by its named (`@column`) parameters. */
const INSERT = `INSERT INTO checkpoints (${CHECKPOINT_COLUMNS.join(', ')})
  VALUES (${CHECKPOINT_COLUMNS.map((column) => `@${column}`).join(', ')})`

/** Checkpoint rows in SQLite; used by SqliteStore. */
export class SqliteCheckpoints {
  readonly #db: Database.Database

  constructor(db: Database.Database) {
    this.#db = db
  }

  insert(record: CheckpointRecord): void {
    this.#db.prepare(INSERT).run(checkpointToRow(record))
  }

  get(id: string): CheckpointRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as
      CheckpointRow | undefined
    return row && checkpointFromRow(row)
  }

  list(sandboxId?: string): CheckpointRecord[] {
    const rows = (
      sandboxId === undefined
        ? this.#db.prepare('SELECT * FROM checkpoints ORDER BY seq').all()
        : this.#db
            .prepare('SELECT * FROM checkpoints WHERE sandbox_id = ? ORDER BY seq')
            .all(sandboxId)
    ) as CheckpointRow[]
    return rows.map(checkpointFromRow)
  }

  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM checkpoints WHERE id = ?').run(id).changes > 0
  }
}
