import type { PgDb } from './postgres-db.js'
import { isRetryable } from './postgres-errors.js'

/** Tries of one activity write that lost a race with a sandbox's deletion (or a deadlock). */
const ACTIVITY_TRIES = 3

/** Settings and sandbox activity in PostgreSQL; used by PostgresStore. */
export class PgShared {
  readonly #db: PgDb

  constructor(db: PgDb) {
    this.#db = db
  }

  async claimSetting(key: string, value: string): Promise<string> {
    // Two statements, not one: the read must see a row another server committed while the
    // insert waited for it, which a single statement's snapshot would not.
    await this.#db.query(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, value],
    )
    return (await this.getSetting(key)) as string
  }

  async getSetting(key: string): Promise<string | undefined> {
    const { rows } = await this.#db.query<{ value: string }>(
      'SELECT value FROM settings WHERE key = $1',
      [key],
    )
    return rows[0]?.value
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO settings (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    )
  }

  async recordActivity(times: ReadonlyMap<string, number>): Promise<void> {
    if (!times.size) return
    const ids = [...times.keys()]
    const ats = ids.map((id) => Math.floor(times.get(id) as number))
    for (let attempt = 1; ; attempt++) {
      try {
        // Ids with no sandbox drop out in the join; rows are written in id order so that two
        // servers writing overlapping sets cannot deadlock on each other.
        await this.#db.query(
          `INSERT INTO sandbox_activity (sandbox_id, at)
             SELECT s.id, v.at FROM unnest($1::text[], $2::bigint[]) AS v (id, at)
               JOIN sandboxes s ON s.id = v.id
             ORDER BY s.id
           ON CONFLICT (sandbox_id) DO UPDATE
             SET at = GREATEST(sandbox_activity.at, excluded.at)`,
          [ids, ats],
        )
        return
      } catch (error) {
        // A sandbox deleted between the join and the insert fails the foreign key: the
        // next try no longer sees it.
        if (attempt >= ACTIVITY_TRIES || !isRetryable(error)) throw error
      }
    }
  }

  async listActivity(): Promise<Map<string, number>> {
    const { rows } = await this.#db.query<{ sandbox_id: string; at: number }>(
      'SELECT sandbox_id, at FROM sandbox_activity',
    )
    return new Map(rows.map((row) => [row.sandbox_id, row.at]))
  }
}
