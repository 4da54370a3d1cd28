import type { PgDb } from './postgres-db.js'

/**
 * Key of the transaction-level advisory lock migrations run under, so that
 * servers starting together migrate one after the other (and so once). A
 * single 64-bit key: a lock space apart from the two-key locks of
 * coordination.
 */
const MIGRATION_LOCK_KEY = 0x574d_4d49_4752

/**
 * Schema migrations of the PostgreSQL store, applied in order; the
 * `schema_migrations` table records which have run. Never edit a shipped
 * migration: append a new one. Rows are the SQLite store's (times as ISO
 * text, maps as JSON text, env and agent token sealed), so both stores
 * return the same records.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE workspaces (
     seq BIGSERIAL PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     name TEXT,
     metadata TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE sandboxes (
     seq BIGSERIAL PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     workspace_id TEXT NOT NULL REFERENCES workspaces (id),
     name TEXT,
     template TEXT NOT NULL,
     state TEXT NOT NULL,
     env TEXT,
     metadata TEXT,
     timeout BIGINT,
     nano_cpus BIGINT NOT NULL,
     memory_bytes BIGINT NOT NULL,
     network_mode TEXT NOT NULL,
     application_kind TEXT,
     error_message TEXT,
     agent_token TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     expires_at TEXT,
     desired_state TEXT NOT NULL,
     operation TEXT,
     on_idle TEXT NOT NULL,
     on_timeout TEXT NOT NULL,
     auto_resume BOOLEAN NOT NULL,
     image TEXT
   );
   CREATE INDEX sandboxes_workspace ON sandboxes (workspace_id);
   -- NFS export ids (1..65535; 0 is ganesha's pseudo root), stable per workspace. The high-water
   -- mark (one row, locked by whoever assigns) hands ids out in order, never one again while
   -- ids remain, so a client holding handles of a deleted workspace's export cannot land in a
   -- newer one.
   CREATE TABLE nfs_exports (
     export_id INTEGER PRIMARY KEY,
     workspace_id TEXT NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE
   );
   CREATE TABLE nfs_export_high_water (
     only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
     last_id INTEGER NOT NULL
   );
   INSERT INTO nfs_export_high_water (last_id) VALUES (0);
   -- Checkpoints outlive nothing: their images and snapshots are removed with their sandbox by
   -- the checkpoint service, so no foreign key ties them.
   CREATE TABLE checkpoints (
     seq BIGSERIAL PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     sandbox_id TEXT NOT NULL,
     workspace_id TEXT NOT NULL,
     name TEXT,
     kind TEXT NOT NULL,
     image TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX checkpoints_sandbox ON checkpoints (sandbox_id);
   -- Settings every server must agree on, and when each sandbox was last used (ms since the epoch).
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE sandbox_activity (
     sandbox_id TEXT PRIMARY KEY REFERENCES sandboxes (id) ON DELETE CASCADE,
     at BIGINT NOT NULL
   );`,
  // Workspace disk quotas: the limit asked for (null: unlimited) and the id the filesystem
  // counts the workspace's usage under (null: a plain directory, not counted).
  `ALTER TABLE workspaces ADD COLUMN quota_bytes BIGINT;
   ALTER TABLE workspaces ADD COLUMN quota_id BIGINT;`,
  // The allow list of a sandbox behind the egress gateway (JSON array); null for one that is not.
  `ALTER TABLE sandboxes ADD COLUMN network_allow TEXT;`,
  // What a sandbox may write to its root filesystem; null for unlimited (and rows before it).
  `ALTER TABLE sandboxes ADD COLUMN disk_bytes BIGINT;`,
  // A sandbox's secrets and its CA, sealed (SandboxSecrets as JSON); null without secrets.
  `ALTER TABLE sandboxes ADD COLUMN egress_secrets TEXT;`,
]

/**
 * Applies every migration not yet recorded, all in one transaction holding
 * the migration lock: a server starting while another migrates waits, then
 * finds the work done.
 */
export async function migrate(db: PgDb): Promise<void> {
  await db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY,
         applied_at TEXT NOT NULL
       )`,
    )
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations',
    )
    const applied = new Set(rows.map((row) => row.version))
    for (const [index, sql] of PG_MIGRATIONS.entries()) {
      const version = index + 1
      if (applied.has(version)) continue
      await client.query(sql)
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        version,
        new Date().toISOString(),
      ])
    }
  })
}
