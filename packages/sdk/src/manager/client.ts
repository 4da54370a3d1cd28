/**
 * `WorkspaceManagerClient`: the seed-000 style client, a thin layer on the
 * SDK. Configuration (explicit option, then environment, then default), the
 * transport, errors and the workspace/sandbox/process services are the
 * SDK's; this composes them into seed-000's calls. `createWorkspace` is two
 * SDK calls (a workspace, then its primary sandbox) under one deadline,
 * undone if the second fails.
 */
import { clientError, SandboxNotFoundError, WorkspaceError } from '../errors.js'
import { resolveClientConfig, type ResolvedClientConfig } from '../config.js'
import type { Sandbox } from '../sandbox-types.js'
import { ProcessService } from '../services/process.js'
import { SandboxService } from '../services/sandbox.js'
import { WorkspaceService } from '../services/workspace.js'
import { Transport } from '../transport.js'
import type { CallOptions } from '../types.js'
import { WorkspaceHandle, type HandleContext } from './handle.js'
import * as routes from './routes.js'
import type {
  ApplicationKind,
  CreateWorkspaceOptions,
  DeleteWorkspaceOptions,
  HealthStatus,
  WorkspaceManagerClientOptions,
} from './types.js'

/** The oldest running or starting sandbox (lists come oldest first), else the oldest. */
export function primarySandbox(sandboxes: readonly Sandbox[]): Sandbox | null {
  return (
    sandboxes.find((s) => s.state === 'running' || s.state === 'starting') ?? sandboxes[0] ?? null
  )
}

/** The transport of each client, for the other modules of `manager/` (not exported from the package). */
const transports = new WeakMap<WorkspaceManagerClient, Transport>()

/** The SDK transport a client sends through. */
export function transportOf(client: WorkspaceManagerClient): Transport {
  const transport = transports.get(client)
  if (!transport) throw new TypeError('not a WorkspaceManagerClient')
  return transport
}

function isTimeout(error: unknown): boolean {
  return error instanceof WorkspaceError && error.details.reason === 'timeout'
}

/**
 * Seed-000 style client: workspaces backed by a container, in one call.
 *
 * @example
 * ```ts
 * const client = new WorkspaceManagerClient()
 * const ws = await client.createWorkspace({ image: 'python:3.12' })
 * await ws.writeFile('hello.py', 'print("hi")')
 * console.log((await ws.exec('python3 hello.py')).stdout)
 * await ws.delete()
 * ```
 */
export class WorkspaceManagerClient {
  /** The SDK's services, for anything seed-000 lacks. */
  readonly workspace: WorkspaceService
  readonly sandbox: SandboxService
  readonly process: ProcessService
  readonly #config: ResolvedClientConfig
  readonly #transport: Transport
  readonly #context: HandleContext

  /** Every option left out comes from its environment variable, else its default (see {@link WorkspaceClientOptions}). */
  constructor(options: WorkspaceManagerClientOptions = {}) {
    const { baseUrl, ...rest } = options
    this.#config = resolveClientConfig({ ...rest, apiUrl: rest.apiUrl ?? baseUrl })
    this.#transport = new Transport(this.#config)
    transports.set(this, this.#transport)
    this.workspace = new WorkspaceService(this.#transport)
    this.sandbox = new SandboxService(this.#transport)
    this.process = new ProcessService(this.#transport)
    this.#context = {
      transport: this.#transport,
      workspace: this.workspace,
      process: this.process,
      deleteWorkspace: (id, opts) => this.deleteWorkspace(id, opts),
      getWorkspace: (id, opts) => this.getWorkspace(id, opts),
    }
  }

  /** The resolved configuration. */
  get config(): ResolvedClientConfig {
    return this.#config
  }

  /** Base URL of the API. */
  get baseUrl(): string {
    return this.#config.apiUrl
  }

  /** `GET /health` (`WM_REQUEST_TIMEOUT`). */
  async health(options: CallOptions = {}): Promise<HealthStatus> {
    return routes.health(this.#transport, options)
  }

  /** The application kinds the server's plugins offer. */
  async applicationKinds(options: CallOptions = {}): Promise<ApplicationKind[]> {
    return routes.applicationKinds(this.#transport, options)
  }

  /**
   * Creates a workspace and its primary sandbox (`image`, `applicationKind`,
   * `cpu`, `mem`, `env`) and resolves to their handle; with `waitReady`
   * (default) once the sandbox runs. The whole call is bounded by `timeoutMs`
   * (default `createTimeoutMs`, `WM_CREATE_TIMEOUT`). If the sandbox cannot be
   * made (or in time), the workspace and anything started in it are deleted
   * before the error is thrown.
   */
  async createWorkspace(options: CreateWorkspaceOptions = {}): Promise<WorkspaceHandle> {
    const limitMs = options.timeoutMs ?? this.#config.createTimeoutMs
    if (!(limitMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${limitMs}`)
    const deadline = Date.now() + limitMs
    const { signal } = options
    const workspace = await this.workspace.create(
      { name: options.name, metadata: options.metadata },
      { signal },
    )
    const left = (what: string): number => {
      const ms = deadline - Date.now()
      if (ms <= 0) throw expired(limitMs, what)
      return ms
    }
    try {
      const waitReady = options.waitReady ?? true
      let sandbox = await this.sandbox.create(
        {
          workspaceId: workspace.id,
          template: options.image,
          name: options.name,
          env: options.env,
          cpu: options.cpu,
          memory: options.mem,
          applicationKind: options.applicationKind,
        },
        { wait: waitReady, timeoutMs: left('creating the sandbox'), signal },
      )
      if (waitReady && sandbox.state !== 'running') {
        const timeoutMs = left('waiting for the sandbox to run')
        sandbox = await this.sandbox.waitForState(sandbox.id, 'running', { timeoutMs, signal })
      }
      return new WorkspaceHandle(this.#context, workspace, sandbox)
    } catch (error) {
      const reported = isTimeout(error) ? expired(limitMs, 'waiting for the sandbox', error) : error
      await this.#discard(workspace.id, reported)
      throw reported
    }
  }

  /** Undoes a half-made `createWorkspace`; a failure to do so is noted on the error, not thrown. */
  async #discard(workspaceId: string, error: unknown): Promise<void> {
    try {
      await this.deleteWorkspace(workspaceId, { force: true })
    } catch (cleanup) {
      if (error instanceof WorkspaceError) {
        error.details.cleanupError = cleanup instanceof Error ? cleanup.message : String(cleanup)
      }
    }
  }

  /** Every workspace, oldest first, each with its primary sandbox (`null` if it has none). */
  async listWorkspaces(options: CallOptions = {}): Promise<WorkspaceHandle[]> {
    const [workspaces, sandboxes] = await Promise.all([
      this.workspace.list(options),
      this.sandbox.list(options),
    ])
    return workspaces.map((ws) => {
      const own = sandboxes.filter((s) => s.workspaceId === ws.id)
      return new WorkspaceHandle(this.#context, ws, primarySandbox(own))
    })
  }

  /** One workspace and its primary sandbox; `WorkspaceNotFoundError` when there is none. */
  async getWorkspace(id: string, options: CallOptions = {}): Promise<WorkspaceHandle> {
    const workspace = await this.workspace.get(id, options)
    const sandboxes = await this.sandbox.list({ ...options, workspaceId: id })
    return new WorkspaceHandle(this.#context, workspace, primarySandbox(sandboxes))
  }

  /** Deletes the workspace's sandboxes (`force`: no grace period), then the workspace. */
  async deleteWorkspace(id: string, options: DeleteWorkspaceOptions = {}): Promise<void> {
    const call = { signal: options.signal, timeoutMs: options.timeoutMs }
    for (const sandbox of await this.sandbox.list({ ...call, workspaceId: id })) {
      await this.sandbox.delete(sandbox.id, { ...call, force: options.force }).catch((error) => {
        if (!(error instanceof SandboxNotFoundError)) throw error
      })
    }
    await this.workspace.delete(id, call)
  }

  /** Closes idle keep-alive connections; the client stays usable. */
  close(): void {
    this.#transport.close()
  }

  /** What `JSON.stringify` and logs show: the base URL, never the API key. */
  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl }
  }
}

function expired(limitMs: number, what: string, cause?: unknown): WorkspaceError {
  return clientError(
    'timeout',
    `createWorkspace did not finish within ${limitMs / 1000}s (timeoutMs / WM_CREATE_TIMEOUT) while ${what} (the workspace it created is deleted)`,
    { cause },
  )
}
