/** Public data types of the seed-000 style client (camelCase, like the rest of the SDK). */
import type { WorkspaceClientOptions } from '../config.js'
import type { CallOptions } from '../types.js'

/** Options of {@link WorkspaceManagerClient}: the SDK's, plus `baseUrl` (seed-000's name for `apiUrl`). */
export interface WorkspaceManagerClientOptions extends WorkspaceClientOptions {
  /** Alias of `apiUrl`; env `WORKSPACE_API_URL`, then `WM_BASE_URL`. */
  baseUrl?: string
}

/** Reply of `GET /health`. */
export interface HealthStatus {
  status: string
  version: string
}

/** An application kind a server plugin offers. */
export interface ApplicationKind {
  kind: string
  plugin: string
  /** Template used when a create request names none; `null` for the server default. */
  template: string | null
}

/** What a file token may do: `upload` (PUT) or `download` (GET). */
export type FileTokenOperation = 'upload' | 'download'

/** A short-lived credential for one file of one workspace, and the URL that uses it. */
export interface FileToken {
  /** The token itself: a secret until `expiresAt`. */
  token: string
  /** `files/content` URL carrying the token in its query string. */
  url: string
  /** ISO 8601 time. */
  expiresAt: string
  operation: FileTokenOperation
  /** The normalised workspace path the token is good for. */
  path: string
  /** Header that may carry the token instead of the query string. */
  header: string
  /** Query parameter carrying the token in `url`. */
  queryParam: string
}

/** Where a port inside a sandbox can be reached. */
export interface PortHint {
  host: string
  port: number
  /** Authenticated reverse-proxy URL of the port. */
  url: string
}

/** `process`: processes kept (runsc); `filesystem`: the container's filesystem and a workspace snapshot. */
export type CheckpointKind = 'process' | 'filesystem'

/** A checkpoint of a sandbox. */
export interface Checkpoint {
  id: string
  sandboxId: string
  workspaceId: string
  name: string | null
  kind: CheckpointKind
  /** The image the sandbox is restarted from on restore. */
  image: string
  createdAt: string
}

/** Options of `createWorkspace`: the workspace and its primary sandbox. */
export interface CreateWorkspaceOptions {
  /** Template (image) of the sandbox; default the server's, or the kind's. */
  image?: string
  /** Application kind of the sandbox (e.g. `splunk`). */
  applicationKind?: string
  /** CPU limit: cores as a number, or `"1c"` / `"500m"`. */
  cpu?: number | string
  /** Memory limit: bytes as a number, or `"512m"` / `"2g"`. */
  mem?: number | string
  /** Environment of every process in the sandbox. */
  env?: Record<string, string>
  /** Name of the workspace and the sandbox. */
  name?: string
  /** Metadata of the workspace. */
  metadata?: Record<string, string>
  /** Return only once the sandbox runs; default `true`. */
  waitReady?: boolean
  /** Bound on the whole call, in ms; default `createTimeoutMs` (env `WM_CREATE_TIMEOUT`). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Options of `exec`. */
export interface ExecOptions {
  /** Working directory; default the handle's `workdir`; a relative one is taken inside it. */
  cwd?: string
  /** Environment added to the sandbox's. */
  env?: Record<string, string>
  /** The command's timeout in ms; default `execTimeoutMs` (env `WM_EXEC_TIMEOUT`). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Options of `deleteWorkspace`. */
export interface DeleteWorkspaceOptions extends CallOptions {
  /** Kill the sandboxes at once instead of granting them the stop grace period. */
  force?: boolean
}

/** Options of `SplunkWorkspace.search`. */
export interface SplunkSearchOptions {
  /** The search's own timeout in ms (sent in seconds); server default 60 s. */
  timeoutMs?: number
  signal?: AbortSignal
}
