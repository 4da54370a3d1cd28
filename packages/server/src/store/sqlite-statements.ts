import type Database from 'better-sqlite3'

/**
 * Makes `db.prepare` hand back one statement per SQL text, made once.
 * Preparing a statement (parsing and planning it) costs more than running a
 * point query, and every store method prepared its SQL on each call; a
 * better-sqlite3 statement is reusable for any parameters. The SQL texts are
 * the store's own (dynamic ones vary only by which columns are set), so the
 * cache stays small. Done here, where the database is opened, so every
 * table's code gets it without a second way to prepare.
 */
export function cacheStatements(db: Database.Database): Database.Database {
  const prepared = new Map<string, Database.Statement>()
  const prepare = db.prepare.bind(db)
  db.prepare = ((sql: string) => {
    let statement = prepared.get(sql)
    if (!statement) {
      statement = prepare(sql)
      prepared.set(sql, statement)
    }
    return statement
  }) as Database.Database['prepare']
  return db
}
