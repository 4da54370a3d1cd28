/** A workspace row as the store keeps it. */
export interface WorkspaceRecord {
  id: string
  name: string | null
  metadata: Record<string, string> | null
  createdAt: string
  updatedAt: string
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
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>
  /** Releases the store's resources. */
  close(): Promise<void>
}
