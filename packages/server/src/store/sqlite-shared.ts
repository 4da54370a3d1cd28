import type Database from 'better-sqlite3'

/** Settings and sandbox activity in SQLite; used by SqliteStore. */
export class SqliteShared {
  readonly #db: Database.Database

  constructor(db: Database.Database) {
    this.#db = db
  }

  claimSetting(key: string, value: string): string {
    this.#db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING')
      .run(key, value)
    return this.getSetting(key) as string
  }

  getSetting(key: string): string | undefined {
    const row = this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined
    return row?.value
  }

  putSetting(key: string, value: string): void {
    this.#db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value)
  }

  recordActivity(times: ReadonlyMap<string, number>): void {
    const upsert = this.#db.prepare(
      `INSERT INTO sandbox_activity (sandbox_id, at)
         SELECT id, @at FROM sandboxes WHERE id = @id
       ON CONFLICT (sandbox_id) DO UPDATE SET at = MAX(at, excluded.at)`,
    )
    this.#db.transaction(() => {
      for (const [id, at] of times) upsert.run({ id, at: Math.floor(at) })
    })()
  }

  listActivity(): Map<string, number> {
    const rows = this.#db.prepare('SELECT sandbox_id, at FROM sandbox_activity').all() as Array<{
      sandbox_id: string
      at: number
    }>
    return new Map(rows.map((row) => [row.sandbox_id, row.at]))
  }
}
