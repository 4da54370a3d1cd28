/** A workspace row as the store keeps it. */
export interface WorkspaceRecord {
  id: string
  name: string | null
  metadata: Record<string, string> | null
  createdAt: string
  updatedAt: string
  /** Disk quota the filesystem enforces; null when unlimited. */
  quotaBytes: number | null
  /** Id the filesystem counts the workspace's usage under; null for a plain directory. */
  quotaId: number | null
}

/** Fields of a workspace that change after creation. */
export type WorkspaceUpdate = Partial<Pick<WorkspaceRecord, 'quotaBytes'>>

/** Observed lifecycle state of a sandbox (written by the lifecycle controller only). */
export type SandboxStateName =
  'starting' | 'running' | 'pausing' | 'paused' | 'resuming' | 'stopping' | 'stopped' | 'error'

/** What the server drives a sandbox to; `deleted` while it is being removed. */
export type DesiredStateName = 'running' | 'paused' | 'stopped' | 'deleted'

/** What is done to a sandbox idle too long (`onIdle`) or past its timeout (`onTimeout`). */
export type LifecycleActionName = 'delete' | 'stop' | 'pause'

/** A sandbox row: desired configuration beside the last observed state. */
export interface SandboxRecord {
  id: string
  workspaceId: string
  name: string | null
  template: string
  state: SandboxStateName
  env: Record<string, string> | null
  metadata: Record<string, string> | null
  timeout: number | null
  nanoCpus: number
  memoryBytes: number
  /** Bytes it may write to its root filesystem (outside the workspace); null: unlimited. */
  diskBytes: number | null
  networkMode: string
  /**
   * The allow list of mode `allowlist`; null for a sandbox whose container is
   * not behind the egress gateway (made with mode none, or bridge). An array
   * (empty unless allowlist) marks one that is, so its policy may change while
   * it runs.
   */
  networkAllow: string[] | null
  /** Secrets the egress gateway fills in for it, and its CA; null without secrets. */
  egressSecrets: SandboxSecrets | null
  applicationKind: string | null
  errorMessage: string | null
  /** Secret the sandbox's agent proves it holds. Never sent to clients. */
  agentToken: string
  createdAt: string
  updatedAt: string
  expiresAt: string | null
  /** What it is being driven to (rows older than the column read as what their state implies). */
  desiredState: DesiredStateName
  /** The operation under way (`start`, `stop`, `restart`, ...), null when none. */
  operation: string | null
  onIdle: LifecycleActionName
  onTimeout: LifecycleActionName
  /** Calls that need it running resume or start it first. */
  autoResume: boolean
  /** Image its container was made from when not `template` (a checkpoint's, after a restore). */
  image: string | null
}

/** One secret of a sandbox: the sandbox sees `placeholder` under `name`, `hosts` get `value`. */
export interface SandboxSecret {
  name: string
  value: string
  hosts: string[]
  placeholder: string
}

/**
 * What the egress gateway needs to fill in a sandbox's secrets: the secrets,
 * and the sandbox's own CA (PEM certificate, PKCS#8 PEM key) that signs the
 * certificates the gateway shows it for their hosts.
 */
export interface SandboxSecrets {
  ca: { cert: string; key: string }
  secrets: SandboxSecret[]
}

/** Fields of a sandbox that change after creation. */
export type SandboxUpdate = Partial<
  Pick<
    SandboxRecord,
    | 'state'
    | 'errorMessage'
    | 'desiredState'
    | 'operation'
    | 'image'
    | 'expiresAt'
    | 'networkMode'
    | 'networkAllow'
  >
>

/** Filters of `listSandboxes`. */
export interface SandboxFilter {
  workspaceId?: string
  state?: SandboxStateName
}

/** A checkpoint row: what was captured of a sandbox, and the image it restores from. */
export interface CheckpointRecord {
  id: string
  sandboxId: string
  workspaceId: string
  name: string | null
  kind: 'process' | 'filesystem'
  image: string
  createdAt: string
}

/**
 * Where the server keeps its metadata. SQLite is the embedded default; the
 * interface is asynchronous so a networked store (PostgreSQL) can serve
 * several server replicas later. Every implementation must pass the contract
 * suite in `test/store-contract.ts`.
 */
export interface MetadataStore {
  /** Inserts a workspace; rejects when the id is taken. */
  insertWorkspace(record: WorkspaceRecord): Promise<void>
  /** The workspace with `id`, or `undefined`. */
  getWorkspace(id: string): Promise<WorkspaceRecord | undefined>
  /** Every workspace, oldest first. */
  listWorkspaces(): Promise<WorkspaceRecord[]>
  /** Changes the fields of `update` and bumps `updatedAt`; resolves the new row, or `undefined` when gone. */
  updateWorkspace(id: string, update: WorkspaceUpdate): Promise<WorkspaceRecord | undefined>
  /** Deletes a workspace; resolves `false` when there was none. */
  deleteWorkspace(id: string): Promise<boolean>
  /** Inserts a sandbox; rejects when the id is taken or its workspace does not exist. */
  insertSandbox(record: SandboxRecord): Promise<void>
  /** The sandbox with `id`, or `undefined`. */
  getSandbox(id: string): Promise<SandboxRecord | undefined>
  /** Sandboxes matching `filter`, oldest first. */
  listSandboxes(filter?: SandboxFilter): Promise<SandboxRecord[]>
  /** Changes the fields of `update` and bumps `updatedAt`; resolves the new row, or `undefined` when gone. */
  updateSandbox(id: string, update: SandboxUpdate): Promise<SandboxRecord | undefined>
  /** Deletes a sandbox; resolves `false` when there was none. */
  deleteSandbox(id: string): Promise<boolean>
  /**
   * Deletes the workspace unless a sandbox still uses it, in one step, so a
   * sandbox created concurrently cannot be left with no workspace.
   * Resolves 'deleted', 'missing' or 'in-use'.
   */
  deleteWorkspaceIfUnused(id: string): Promise<'deleted' | 'missing' | 'in-use'>
  /**
   * The NFS export id of a workspace, assigning the next unused one (1 to
   * 65535) the first time; stable for the workspace's life and not reused
   * while ids remain. Rejects when the workspace does not exist.
   */
  nfsExportId(workspaceId: string): Promise<number>
  /** Every workspace's NFS export id, by workspace id (only those assigned). */
  listNfsExportIds(): Promise<Map<string, number>>
  /** Inserts a checkpoint; rejects when the id is taken. */
  insertCheckpoint(record: CheckpointRecord): Promise<void>
  /** The checkpoint with `id`, or `undefined`. */
  getCheckpoint(id: string): Promise<CheckpointRecord | undefined>
  /** Checkpoints of one sandbox (every checkpoint without `sandboxId`), oldest first. */
  listCheckpoints(sandboxId?: string): Promise<CheckpointRecord[]>
  /** Deletes a checkpoint; resolves `false` when there was none. */
  deleteCheckpoint(id: string): Promise<boolean>
  /**
   * The value of setting `key`, storing `value` first when it has none (the
   * first writer wins, atomically). Replicas use it to agree on what must be
   * the same on each: the instance id, the sealing key and the token secret.
   */
  claimSetting(key: string, value: string): Promise<string>
  /** The value of setting `key`, or `undefined`. */
  getSetting(key: string): Promise<string | undefined>
  /** Sets `key` to `value` whatever it was. */
  putSetting(key: string, value: string): Promise<void>
  /**
   * Records when sandboxes were last used (ms since the epoch), keeping the
   * later of what is stored and what is given; ids with no sandbox row are
   * ignored. Rows go with their sandbox.
   */
  recordActivity(times: ReadonlyMap<string, number>): Promise<void>
  /** The last recorded activity of every sandbox that has one (ms since the epoch). */
  listActivity(): Promise<Map<string, number>>
  /** Locks and the leader lease shared by every server using this store. */
  readonly coordination: Coordination
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>
  /** Releases the store's resources. */
  close(): Promise<void>
}

/**
 * Coordination between server replicas sharing one store. The embedded
 * store has one server, so its locks only run the function and its lease is
 * always granted; the PostgreSQL store uses advisory locks held on a
 * connection, so a replica that dies (even by kill -9) releases everything
 * it held when the database sees its connection close.
 */
export interface Coordination {
  /** True when several servers may share the store (activity and leadership then go through it). */
  readonly replicated: boolean
  /**
   * Runs `fn` holding the lock named `key` across every server sharing the
   * store; others asking for the same key wait until `fn` settles. Not
   * re-entrant: `fn` must not ask for the same key again.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>
  /**
   * Tries once, without waiting, to take the leader lease: resolves the lease
   * when this server now holds it, `undefined` when another one does.
   */
  tryLead(): Promise<LeaderLease | undefined>
}

/** The leader lease, held until released or until the store connection holding it is lost. */
export interface LeaderLease {
  /** Resolves true while the lease is still held; false once it is lost (it is then released). */
  check(): Promise<boolean>
  /** Gives the lease up; resolves once another server can take it. */
  release(): Promise<void>
}
