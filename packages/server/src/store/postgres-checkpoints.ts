import type { CheckpointRecord } from './types.js'
import type { PgDb } from './postgres-db.js'

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

/** Checkpoint rows in PostgreSQL; used by PostgresStore. */
export class PgCheckpoints {
  readonly #db: PgDb

  constructor(db: PgDb) {
    this.#db = db
  }

  async insert(record: CheckpointRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO checkpoints (id, sandbox_id, workspace_id, name, kind, image, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        record.id,
        record.sandboxId,
        record.workspaceId,
        record.name,
        record.kind,
        record.image,
        record.createdAt,
      ],
    )
  }

  async get(id: string): Promise<CheckpointRecord | undefined> {
    const { rows } = await this.#db.query<CheckpointRow>(
      'SELECT * FROM checkpoints WHERE id = $1',
      [id],
    )
    return rows[0] && toRecord(rows[0])
  }

  async list(sandboxId?: string): Promise<CheckpointRecord[]> {
    const { rows } =
      sandboxId === undefined
        ? await this.#db.query<CheckpointRow>('SELECT * FROM checkpoints ORDER BY seq')
        : await this.#db.query<CheckpointRow>(
            'SELECT * FROM checkpoints WHERE sandbox_id = $1 ORDER BY seq',
            [sandboxId],
          )
    return rows.map(toRecord)
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM checkpoints WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }
}
