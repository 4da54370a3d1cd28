/** A workspace row as the store keeps it. */
export interface WorkspaceRecord {
  id: string
  name: string | null
  metadata: Record<string, string> | null
  createdAt: string
  updatedAt: string
}

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
  networkMode: string
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

/** Fields of a sandbox that change after creation. */
export type SandboxUpdate = Partial<
  Pick<
    SandboxRecord,
    'state' | 'errorMessage' | 'desiredState' | 'operation' | 'image' | 'expiresAt'
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
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>
  /** Releases the store's resources. */
  close(): Promise<void>
}
