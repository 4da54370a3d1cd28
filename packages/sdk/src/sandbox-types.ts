/** Public data types of `client.sandbox` (camelCase mirrors of the protocol's wire types). */
import type { CallOptions } from './types.js'

/**
 * Lifecycle of a sandbox: `starting → running`, `running → pausing → paused → resuming →
 * running`, `running → stopping → stopped → starting → running`, or `error`.
 */
export type SandboxState =
  'starting' | 'running' | 'pausing' | 'paused' | 'resuming' | 'stopping' | 'stopped' | 'error'

/** What the server is driving a sandbox to (`deleted` while it is being removed). */
export type DesiredState = 'running' | 'paused' | 'stopped' | 'deleted'

/** What happens to a sandbox once it has been idle too long, or its timeout is reached. */
export type LifecycleAction = 'delete' | 'stop' | 'pause'

/**
 * Network of a sandbox as `networkMode`: `none` (no network at all), `allowlist` (only what
 * `network.allow` lists), `open` (the internet, never private or metadata addresses), or the
 * legacy unfiltered `bridge` (prefer `open`).
 */
export type NetworkMode = 'none' | 'bridge' | 'allowlist' | 'open'

/** A network policy: what a sandbox may reach, enforced by the server's egress gateway. */
export interface NetworkPolicy {
  /** `none`, `allowlist` or `open`. */
  mode: 'none' | 'allowlist' | 'open'
  /**
   * `allowlist` only: host names (`api.example.com`, `*.example.com`), addresses or CIDRs
   * (`10.0.0.0/8`, `[2001:db8::/32]`), each with an optional `:port`.
   */
  allow?: string[]
}

/** A destination the gateway refused a sandbox. */
export interface DeniedDestination {
  /** The name or address asked for. */
  host: string
  /** The port; `null` for a name lookup. */
  port: number | null
  /** When, ISO 8601 UTC. */
  at: string
}

/** A sandbox's network policy now, and what it was refused. */
export interface NetworkStatus {
  /** `none`, `allowlist`, `open`, or the legacy `bridge`. */
  mode: string
  /** The allow list (empty unless `allowlist`). */
  allow: string[]
  /** Refusals since the gateway started: how many, and the latest (newest first). */
  denied: { count: number; recent: DeniedDestination[] }
}

/**
 * A secret the sandbox uses without holding it: its environment gets a placeholder under the
 * secret's name, and the server's egress gateway puts `value` in place of the placeholder in
 * requests to `hosts` only (headers and the request target; HTTPS through a CA of the sandbox's
 * own that it trusts). Needs network mode `allowlist` or `open` to reach anything.
 */
export interface SecretSpec {
  /** The real value: never returned, never inside the sandbox, sealed in the server's store. */
  value: string
  /** Host names (`api.example.com`, `*.example.com`) whose requests get the value. */
  hosts: string[]
}

/** A sandbox as sandboxes show their secrets: where each goes, never its value. */
export interface SecretStatus {
  /** Hosts whose requests get the value. */
  hosts: string[]
}

/** A sandbox: one isolated container bound to one workspace. */
export interface Sandbox {
  /** Sandbox id. */
  id: string
  /** The workspace mounted inside it. */
  workspaceId: string
  /** Image it runs. */
  template: string
  /** Current state. */
  state: SandboxState
  /** Creation time, ISO 8601 UTC. */
  createdAt: string
  /** Last state change, ISO 8601 UTC. */
  updatedAt: string
  /** Optional human-readable name. */
  name: string | null
  /** Environment given at creation. */
  env: Record<string, string> | null
  /** Free-form string metadata given at creation. */
  metadata: Record<string, string> | null
  /** Seconds (as on the wire) after creation at which `onTimeout` applies. */
  timeout: number | null
  /** Why the sandbox is in state `error` (e.g. `out of memory`). */
  errorMessage: string | null
  /** CPU limit, in cores. */
  cpu: number
  /** Memory limit, in bytes (no swap beyond it). */
  memory: number
  /**
   * Bytes it may write to its root filesystem (outside the workspace); `null` when unlimited.
   * Absent on older servers.
   */
  diskBytes?: number | null
  /** `none`, `allowlist`, `open` or `bridge`. */
  networkMode: string
  /** The network policy and what the gateway refused. Absent on older servers. */
  network?: NetworkStatus
  /** Its secrets by name, with the hosts each goes to (values never). Absent on older servers. */
  secrets?: Record<string, SecretStatus>
  /** Free-form kind of application, if given. */
  applicationKind: string | null
  /** When `onTimeout` applies, ISO 8601 UTC. */
  expiresAt: string | null
  /**
   * Last API activity (call, stream, terminal, keep-alive), ISO 8601 UTC; the idle
   * janitor applies `onIdle` past WORKSPACE_IDLE_TTL_SECONDS. Absent on older servers.
   */
  lastActivityAt?: string
  /** What the server is driving it to; informative. Absent on older servers. */
  desiredState?: DesiredState
  /** What the idle janitor does to it. Absent on older servers. */
  onIdle?: LifecycleAction
  /** What happens once its timeout is reached. Absent on older servers. */
  onTimeout?: LifecycleAction
  /** Calls that need it running start or resume it first. Absent on older servers. */
  autoResume?: boolean
}

/** Parameters of `client.sandbox.create`. */
export interface CreateSandboxParams {
  /** The workspace to mount at `/workspace` (required). */
  workspaceId: string
  /** Image to run; default the server's `WORKSPACE_DEFAULT_IMAGE`. */
  template?: string
  /** Optional human-readable name. */
  name?: string
  /** Environment of every process in the sandbox. */
  env?: Record<string, string>
  /** Optional string metadata. */
  metadata?: Record<string, string>
  /** Lifetime in seconds, a whole number as on the wire; default none. */
  timeout?: number
  /** CPU limit: cores as a number, or `"1c"` / `"500m"`. */
  cpu?: number | string
  /** Memory limit: bytes as a number, or `"512m"` / `"2g"`. */
  memory?: number | string
  /**
   * What it may write to its root filesystem: bytes as a number, or `"512m"` / `"2GiB"`
   * (at least 1 MiB). Writes past it fail with "Disk quota exceeded" (on Kubernetes the
   * sandbox is evicted). Default the server's `WM_SANDBOX_DISK_BYTES`, else unlimited.
   */
  diskBytes?: number | string
  /** Default `none` (the server's `WORKSPACE_NETWORK_MODE`); `network` says more. */
  networkMode?: NetworkMode
  /** The network policy, with an allow list; given with `networkMode`, the two must agree. */
  network?: NetworkPolicy
  /**
   * Secrets by environment variable name: the sandbox sees a placeholder, the hosts of each get
   * its value (see `SecretSpec`). A name may not also be in `env`.
   */
  secrets?: Record<string, SecretSpec>
  /** Free-form kind of application. */
  applicationKind?: string
  /** What the idle janitor does to it; default the server's `WORKSPACE_IDLE_ACTION` (`delete`). */
  onIdle?: LifecycleAction
  /** What happens once `timeout` is reached; default as `onIdle`'s default. */
  onTimeout?: LifecycleAction
  /**
   * Calls that need it running (processes, PTY, port proxy, checkpoints) start or resume it
   * first; default `true` when `onIdle` or `onTimeout` is `stop` or `pause`.
   */
  autoResume?: boolean
}

/** Options of `client.sandbox.create`. */
export interface CreateSandboxOptions extends CallOptions {
  /**
   * Wait until the sandbox is running (default `true`); the wait is bounded by
   * `timeoutMs`, default `createTimeoutMs`. With `false` the reply comes at
   * once in state `starting`: follow it with `waitForState`.
   */
  wait?: boolean
}

/** Options of `client.sandbox.list`. */
export interface ListSandboxesOptions extends CallOptions {
  /** Only sandboxes in this state. */
  state?: SandboxState
  /** Only sandboxes bound to this workspace. */
  workspaceId?: string
}

/** Options of `client.sandbox.delete`. */
export interface DeleteSandboxOptions extends CallOptions {
  /** Kill at once instead of SIGTERM and a grace period; default `false`. */
  force?: boolean
}

/** Options of `client.sandbox.waitForState`. */
export interface WaitForStateOptions {
  /** Longest wait, in ms; default `createTimeoutMs` (env `WM_CREATE_TIMEOUT`). */
  timeoutMs?: number
  /** Pause between polls, in ms; default 500. */
  intervalMs?: number
  /** Aborts the wait. */
  signal?: AbortSignal
}
