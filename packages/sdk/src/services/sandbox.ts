/** `client.sandbox`: sandboxes bound to workspaces. */
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes } from '@workspace-manager/protocol'
import type {
  NetworkStatus as WireNetworkStatus,
  Sandbox as WireSandbox,
  SandboxList as WireSandboxList,
} from '@workspace-manager/protocol'
import { clientError, SandboxNotFoundError, sdkError } from '../errors.js'
import type {
  CreateSandboxOptions,
  CreateSandboxParams,
  DeleteSandboxOptions,
  ListSandboxesOptions,
  NetworkPolicy,
  NetworkStatus,
  Sandbox,
  SandboxState,
  WaitForStateOptions,
} from '../sandbox-types.js'
import type { Transport } from '../transport.js'
import type { CallOptions } from '../types.js'

/** Path of one sandbox (the id encoded). */
export function sandboxUrl(id: string, suffix = ''): string {
  return `/v1/sandboxes/${encodeURIComponent(id)}${suffix}`
}

/**
 * Mints a proxy token for `port` and returns the absolute URL that opens it
 * in a browser without the API key header (the server swaps the token for a
 * cookie scoped to that port). Shared by `client.sandbox` and workspace handles.
 */
export async function mintProxyUrl(
  transport: Transport,
  id: string,
  port: number,
  options: CallOptions = {},
): Promise<string> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be a whole number from 1 to 65535, got ${String(port)}`)
  }
  const minted = await transport.json<{ token: string; url: string; expires_at: string }>({
    method: 'POST',
    path: sandboxUrl(id, `/ports/${port}/proxy-token`),
    ...callFields(options),
  })
  return `${transport.config.apiUrl}${minted.url}`
}

function callFields(options: CallOptions): CallOptions {
  return { signal: options.signal, timeoutMs: options.timeoutMs }
}

/** The create body: only the fields the API knows (it refuses any other). */
function createBody(params: CreateSandboxParams) {
  return {
    workspaceId: params.workspaceId,
    template: params.template,
    name: params.name,
    env: params.env,
    metadata: params.metadata,
    timeout: params.timeout,
    cpu: params.cpu,
    memory: params.memory,
    diskBytes: params.diskBytes,
    networkMode: params.networkMode,
    network: params.network,
    secrets: params.secrets,
    applicationKind: params.applicationKind,
    onIdle: params.onIdle,
    onTimeout: params.onTimeout,
    autoResume: params.autoResume,
  }
}

/** Sandbox operations. Reached as `client.sandbox`. */
export class SandboxService {
  readonly #transport: Transport

  /** Built by {@link WorkspaceClient}; not meant to be constructed directly. */
  constructor(transport: Transport) {
    this.#transport = transport
  }

  /**
   * Creates a sandbox bound to a workspace. The server answers once the
   * sandbox is running, so the call may take a while: its timeout defaults to
   * `createTimeoutMs` (env `WM_CREATE_TIMEOUT`). Throws `WorkspaceNotFoundError`
   * (7001) or `TemplateNotFoundError` (2003) and creates nothing in that case.
   */
  async create(params: CreateSandboxParams, options: CreateSandboxOptions = {}): Promise<Sandbox> {
    return this.#transport.json<WireSandbox>({
      method: 'POST',
      path: '/v1/sandboxes',
      query: { wait: options.wait === false ? false : undefined },
      json: createBody(params),
      timeoutMs: options.timeoutMs ?? this.#transport.config.createTimeoutMs,
      signal: options.signal,
    })
  }

  /** Gets a sandbox by id; throws `SandboxNotFoundError` (2001) when it does not exist. */
  async get(id: string, options: CallOptions = {}): Promise<Sandbox> {
    const request = { method: 'GET', path: sandboxUrl(id) } as const
    return this.#transport.json<WireSandbox>({ ...request, ...callFields(options) })
  }

  /** Lists sandboxes, oldest first, optionally only those in one state or of one workspace. */
  async list(options: ListSandboxesOptions = {}): Promise<Sandbox[]> {
    const query = { workspace_id: options.workspaceId, state: options.state }
    const request = { method: 'GET', path: '/v1/sandboxes', query } as const
    const reply = await this.#transport.json<WireSandboxList>({
      ...request,
      ...callFields(options),
    })
    return reply.sandboxes
  }

  /** True when the sandbox exists; `false` on code 2001 (other errors still throw). */
  async exists(id: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.get(id, options)
      return true
    } catch (error) {
      if (error instanceof SandboxNotFoundError) return false
      throw error
    }
  }

  /**
   * Stops and removes a sandbox; resolves once its container is gone. Without
   * `force` its processes get SIGTERM and the server's grace period first.
   */
  async delete(id: string, options: DeleteSandboxOptions = {}): Promise<void> {
    const query = { force: options.force ?? false }
    const request = { method: 'DELETE', path: sandboxUrl(id), query } as const
    await this.#transport.call({ ...request, ...callFields(options) })
  }

  /**
   * Stops a sandbox: its processes get SIGTERM, the server's grace period, then SIGKILL; its
   * root filesystem, env, limits and workspace stay, and {@link SandboxService.start} runs it
   * again. Resolves with the sandbox `stopped` (already stopped: as it is); the timeout
   * defaults to `createTimeoutMs`, as the grace period counts. `SandboxNotFoundError` (2001).
   */
  async stop(id: string, options: CallOptions = {}): Promise<Sandbox> {
    return this.#lifecycle(id, 'stop', options)
  }

  /**
   * A URL that opens `port` of the sandbox in a browser: it carries a
   * short-lived proxy token (about 5 minutes) that stands in for the API key.
   */
  async proxyUrl(id: string, port: number, options: CallOptions = {}): Promise<string> {
    return mintProxyUrl(this.#transport, id, port, options)
  }

  /** The sandbox's network policy and what the egress gateway refused it. */
  async network(id: string, options: CallOptions = {}): Promise<NetworkStatus> {
    const request = { method: 'GET', path: sandboxUrl(id, '/network') } as const
    return this.#transport.json<WireNetworkStatus>({ ...request, ...callFields(options) })
  }

  /**
   * Changes a running sandbox's network policy; its next request out obeys it. Only sandboxes
   * made with `allowlist` or `open` (on Docker) can change: others get `WorkspaceError` 1001;
   * a stopped one 2002.
   */
  async updateNetwork(
    id: string,
    policy: NetworkPolicy,
    options: CallOptions = {},
  ): Promise<NetworkStatus> {
    return this.#transport.json<WireNetworkStatus>({
      method: 'PATCH',
      path: sandboxUrl(id, '/network'),
      json: { mode: policy.mode, allow: policy.allow },
      ...callFields(options),
    })
  }

  /** Runs a stopped sandbox again; resolves with it `running` (already running: as it is). */
  async start(id: string, options: CallOptions = {}): Promise<Sandbox> {
    return this.#lifecycle(id, 'start', options)
  }

  /**
   * Freezes a running sandbox's processes; resolves with it `paused`. A `WorkspaceError`
   * with code 2002 if the sandbox is stopped.
   */
  async pause(id: string, options: CallOptions = {}): Promise<Sandbox> {
    return this.#lifecycle(id, 'pause', options)
  }

  /** Makes a paused (or stopped) sandbox run again; resolves with it `running`. */
  async resume(id: string, options: CallOptions = {}): Promise<Sandbox> {
    return this.#lifecycle(id, 'resume', options)
  }

  /**
   * The server answers once the operation is done, after any already under way on the
   * sandbox, so these calls get the create timeout rather than the request timeout.
   */
  async #lifecycle(
    id: string,
    action: 'stop' | 'start' | 'pause' | 'resume',
    options: CallOptions,
  ): Promise<Sandbox> {
    return this.#transport.json<WireSandbox>({
      method: 'POST',
      path: sandboxUrl(id, `/${action}`),
      timeoutMs: options.timeoutMs ?? this.#transport.config.createTimeoutMs,
      signal: options.signal,
    })
  }

  /**
   * Polls until the sandbox is in `state` and returns it. Throws a
   * `WorkspaceError` with code 2002 and the sandbox's `errorMessage` if it
   * lands in `error` while waiting for another state, a timeout error
   * (`details.reason === 'timeout'`) after `timeoutMs`, and
   * `SandboxNotFoundError` if it is removed meanwhile.
   */
  async waitForState(
    id: string,
    state: SandboxState,
    options: WaitForStateOptions = {},
  ): Promise<Sandbox> {
    const timeoutMs = options.timeoutMs ?? this.#transport.config.createTimeoutMs
    const intervalMs = options.intervalMs ?? 500
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const sandbox = await this.get(id, { signal: options.signal })
      if (sandbox.state === state) return sandbox
      if (sandbox.state === 'error') throw landedInError(sandbox, state)
      const left = deadline - Date.now()
      if (left <= 0) {
        throw clientError(
          'timeout',
          `sandbox ${id} is still ${sandbox.state} after ${timeoutMs / 1000}s of waiting for ${state}`,
          { details: { sandboxId: id, state: sandbox.state, wanted: state } },
        )
      }
      await sleep(Math.min(intervalMs, left), undefined, { signal: options.signal }).catch(
        (error: unknown) => {
          throw clientError('aborted', `waiting for sandbox ${id} was aborted`, { cause: error })
        },
      )
    }
  }
}

function landedInError(sandbox: Sandbox, wanted: SandboxState) {
  const reason = sandbox.errorMessage ?? 'no reason given'
  return sdkError({
    code: ErrorCodes.SANDBOX_NOT_RUNNING.code,
    status: 0,
    message: `sandbox ${sandbox.id} entered state error while waiting for ${wanted}: ${reason}`,
    details: { sandboxId: sandbox.id, state: 'error', errorMessage: sandbox.errorMessage },
  })
}
