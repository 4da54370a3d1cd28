import type { CheckpointRecord } from './types.js'
import type { PgDb } from './postgres-db.js'
import { CHECKPOINT_COLUMNS, checkpointFromRow, checkpointToRow, columnValues } from './rows.js'
import type { CheckpointRow } from './rows.js'

/** Inserts a CheckpointRow by positional parameters in the order of CHECKPOINT_COLUMNS. */
const INSERT = `INSERT INTO checkpoints (${CHECKPOINT_COLUMNS.join(', ')})
  VALUES (${CHECKPOINT_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`

/** Checkpoint rows in PostgreSQL; used by PostgresStore. */
export class PgCheckpoints {
  readonly #db: PgDb

  constructor(db: PgDb) {
    this.#db = db
  }

  async insert(record: CheckpointRecord): Promise<void> {
    await this.#db.query(INSERT, columnValues(checkpointToRow(record), CHECKPOINT_COLUMNS))
  }

  async get(id: string): Promise<CheckpointRecord | undefined> {
    const { rows } = await this.#db.query<CheckpointRow>(
      'SELECT * FROM checkpoints WHERE id = $1',
      [id],
    )
    return rows[0] && checkpointFromRow(rows[0])
  }

  async list(sandboxId?: string): Promise<CheckpointRecord[]> {
    const { rows } =
      sandboxId === undefined
        ? await this.#db.query<CheckpointRow>('SELECT * FROM checkpoints ORDER BY seq')
        : await this.#db.query<CheckpointRow>(
            'SELECT * FROM checkpoints WHERE sandbox_id = $1 ORDER BY seq',
            [sandboxId],
          )
    return rows.map(checkpointFromRow)
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM checkpoints WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }
}
