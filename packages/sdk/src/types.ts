/** Public data types of the SDK (camelCase mirrors of the wire types in the protocol package). */

/** A workspace: persistent storage that sandboxes mount. */
export interface Workspace {
  /** Workspace id. */
  id: string
  /** Optional human-readable name. */
  name: string | null
  /** Free-form string metadata given at creation. */
  metadata: Record<string, string> | null
  /** NFS URL of the workspace export; `null` while NFS is not enabled. */
  nfsUrl: string | null
  /** Creation time, ISO 8601 UTC. */
  createdAt: string
  /** Last update time, ISO 8601 UTC. */
  updatedAt: string
  /** Disk quota in bytes the kernel enforces; `null` when unlimited. */
  quotaBytes: number | null
  /** Bytes the workspace takes as its quota counts them; `null` where the server cannot count them. */
  usedBytes: number | null
}

/** Kind of a directory entry. */
export type FileType = 'file' | 'directory' | 'symlink'

/** Description of one file, directory or symlink in a workspace. */
export interface FileInfo {
  /** Last path component. */
  name: string
  /** Path relative to the workspace root, `/`-separated, normalised. */
  path: string
  /** Entry kind; symlinks are described, never followed. */
  type: FileType
  /** Size in bytes (for a symlink, the length of its target). */
  size: number
  /** Last modification time, ISO 8601 UTC, when known. */
  modifiedAt: string | null
}

/** Parameters of `client.workspace.create`. */
export interface CreateWorkspaceParams {
  /** Optional human-readable name (at most 128 characters). */
  name?: string
  /** Optional string metadata (at most 64 entries). */
  metadata?: Record<string, string>
  /**
   * Disk quota in bytes (at least 1 MiB); `null` for unlimited; omitted for the
   * server's default (its `WM_WORKSPACE_QUOTA_BYTES`). Writes past it fail
   * with `QUOTA_EXCEEDED` (code 5007).
   */
  quotaBytes?: number | null
}

/** Parameters of `client.workspace.update`: the fields to change. */
export interface UpdateWorkspaceParams {
  /** New disk quota in bytes, or `null` to lift it. */
  quotaBytes?: number | null
}

/** Options every call accepts. */
export interface CallOptions {
  /** Aborts the call (and any transfer in progress). */
  signal?: AbortSignal
  /** Overrides the client's timeout for this call, in ms (time allowed without progress). */
  timeoutMs?: number
}

/** Options of `writeFile` and `uploadFile`. */
export interface WriteFileOptions extends CallOptions {
  /** Create missing parent directories; default `true`. */
  parents?: boolean
}

/** Options of `mkdir`. */
export interface MkdirOptions extends CallOptions {
  /** Create missing parents and accept an existing directory; default `false`. */
  parents?: boolean
}

/** Options of `copyFile` and `moveFile`. */
export interface TransferOptions extends CallOptions {
  /** Replace an existing destination file; default `false`. */
  overwrite?: boolean
}

/** Options of `deleteFile`. */
export interface DeleteFileOptions extends CallOptions {
  /** Delete a non-empty directory and everything in it; default `false`. */
  recursive?: boolean
}
