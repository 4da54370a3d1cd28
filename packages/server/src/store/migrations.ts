/**
 * Schema migrations, applied in order; the database's `user_version` records
 * how many have run. Never edit a shipped migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE workspaces (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     name TEXT,
     metadata TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );`,
  `CREATE TABLE sandboxes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     workspace_id TEXT NOT NULL REFERENCES workspaces (id),
     name TEXT,
     template TEXT NOT NULL,
     state TEXT NOT NULL,
     env TEXT,
     metadata TEXT,
     timeout INTEGER,
     nano_cpus INTEGER NOT NULL,
     memory_bytes INTEGER NOT NULL,
     network_mode TEXT NOT NULL,
     application_kind TEXT,
     error_message TEXT,
     agent_token TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     expires_at TEXT
   );
   CREATE INDEX sandboxes_workspace ON sandboxes (workspace_id);`,
  // NFS export ids (1..65535; 0 is ganesha's pseudo root), stable per workspace.
  // AUTOINCREMENT never hands out an id again, so a client holding handles
  // of a deleted workspace's export cannot land in a newer one.
  `CREATE TABLE nfs_exports (
     export_id INTEGER PRIMARY KEY AUTOINCREMENT,
     workspace_id TEXT NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE
   );`,
  // Checkpoints outlive nothing: their images and snapshots are removed with
  // their sandbox by the checkpoint service, so no foreign key ties them.
  `CREATE TABLE checkpoints (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     sandbox_id TEXT NOT NULL,
     workspace_id TEXT NOT NULL,
     name TEXT,
     kind TEXT NOT NULL,
     image TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX checkpoints_sandbox ON checkpoints (sandbox_id);`,
  // The lifecycle: what the sandbox is driven to beside what was observed, the operation under
  // way, and its idle/timeout policy. All nullable, so rows written before read as they were
  // (desired state from the observed one, delete on idle and timeout, no auto-resume).
  `ALTER TABLE sandboxes ADD COLUMN desired_state TEXT;
   ALTER TABLE sandboxes ADD COLUMN operation TEXT;
   ALTER TABLE sandboxes ADD COLUMN on_idle TEXT;
   ALTER TABLE sandboxes ADD COLUMN on_timeout TEXT;
   ALTER TABLE sandboxes ADD COLUMN auto_resume INTEGER;
   ALTER TABLE sandboxes ADD COLUMN image TEXT;`,
  // Settings every server must agree on (instance id, key and secret checks), and when each
  // sandbox was last used, shared by the servers of one store.
  `CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE sandbox_activity (
     sandbox_id TEXT PRIMARY KEY REFERENCES sandboxes (id) ON DELETE CASCADE,
     at INTEGER NOT NULL
   );`,
  // Workspace disk quotas: the limit asked for (null: unlimited) and the id the filesystem
  // counts the workspace's usage under (null: a plain directory, not counted).
  `ALTER TABLE workspaces ADD COLUMN quota_bytes INTEGER;
   ALTER TABLE workspaces ADD COLUMN quota_id INTEGER;`,
  // The allow list of a sandbox behind the egress gateway (JSON array); null for one that is not.
  `ALTER TABLE sandboxes ADD COLUMN network_allow TEXT;`,
  // What a sandbox may write to its root filesystem; null for unlimited (and rows before it).
  `ALTER TABLE sandboxes ADD COLUMN disk_bytes INTEGER;`,
  // A sandbox's secrets and its CA, sealed (SandboxSecrets as JSON); null without secrets.
  `ALTER TABLE sandboxes ADD COLUMN egress_secrets TEXT;`,
]
