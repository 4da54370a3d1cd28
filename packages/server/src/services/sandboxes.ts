import type { FastifyBaseLogger } from 'fastify'
import type {
  CreateSandboxBody,
  NetworkPolicyBody,
  NetworkStatus,
  Sandbox,
} from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { Config } from '../config/index.js'
import type { MetadataStore, SandboxFilter, SandboxRecord } from '../store/index.js'
import type { SandboxRuntime } from '../runtime/types.js'
import type { AgentClient } from '../agent/client.js'
import type { WorkspaceService } from './workspaces.js'
import { sandboxToWire } from './sandbox-wire.js'
import { newSandboxRecord, templateSource } from './sandbox-request.js'
import { checkFitsHost, warnOfDefaultsBeyondHost } from './host-limits.js'
import type { ActivityTracker } from './activity.js'
import type { SandboxKinds } from './sandbox-kinds.js'
import { SandboxContainers } from './lifecycle/containers.js'
import { SandboxTransitions } from './lifecycle/transitions.js'
import { LifecycleController } from './lifecycle/controller.js'
import type { Clock } from './lifecycle/clock.js'
import type { RestartPolicy } from './lifecycle/recovery.js'
import type { DenialLog } from '../egress/denials.js'
import { networkStatus, updateNetwork } from './sandbox-network.js'
import { secretsStatus } from './sandbox-secrets.js'
import { newSandboxCa } from '../egress/certificates.js'
import { WarmPool } from './pool/warm-pool.js'
import { claimKey } from './pool/matching.js'

/** What the sandbox service needs. */
export interface SandboxServiceOptions {
  config: Config
  store: MetadataStore
  runtime: SandboxRuntime
  workspaces: WorkspaceService
  log: FastifyBaseLogger
  /** Source of `last_activity_at`; without it, the creation time. */
  activity?: ActivityTracker
  /** Application kinds (plugins); without it, `application_kind` is only recorded. */
  kinds?: SandboxKinds
  /** Time for expiry and restart back-off; the real clock by default. */
  clock?: Clock
  /** How a sandbox whose container died is brought back. */
  restartPolicy?: RestartPolicy
  /** What the egress gateway refused each sandbox (shown in `network.denied`). */
  denials?: DenialLog
}

/**
 * Sandboxes as the API sees them. The row (with its desired state) is
 * written before the engine is called, so a crash mid-create leaves a row
 * the reconciler can finish off, never a container nobody knows about.
 * Every change of a sandbox goes through the lifecycle controller
 * (`lifecycle`), which runs one operation per sandbox at a time.
 */
export class SandboxService {
  readonly #options: SandboxServiceOptions
  readonly #containers: SandboxContainers
  readonly #transitions: SandboxTransitions
  /** The one owner of sandbox state changes. */
  readonly lifecycle: LifecycleController
  /** Ready sandboxes kept per template (WM_WARM_POOL), kept by the leader; none when unset. */
  readonly pool: WarmPool | undefined
  #expiryTimer: NodeJS.Timeout | undefined

  constructor(options: SandboxServiceOptions) {
    this.#options = options
    const { config, store, runtime, workspaces, log, kinds } = options
    this.#containers = new SandboxContainers({
      config,
      runtime,
      workspaces,
      ...(kinds ? { kinds } : {}),
    })
    const clock = options.clock
    const transitions = new SandboxTransitions({
      config,
      store,
      runtime,
      containers: this.#containers,
      log,
      now: () => (clock ? clock.now() : Date.now()),
    })
    this.lifecycle = new LifecycleController({
      store,
      coordination: store.coordination,
      runtime,
      containers: this.#containers,
      transitions,
      log,
      ...(clock ? { clock } : {}),
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
    })
    this.#transitions = transitions
    if (config.warmPool.length) {
      const pool = new WarmPool({
        config,
        store,
        runtime,
        containers: this.#containers,
        lifecycle: this.lifecycle,
        log,
      })
      this.lifecycle.poolHolds = (id) => pool.holds(id)
      this.pool = pool
    }
  }

  /** Says when the default limits exceed the host. */
  start(): void {
    const { config, runtime, log } = this.#options
    void warnOfDefaultsBeyondHost(config.sandboxDefaults, () => runtime.hostResources(), log)
  }

  /** The leader's part: the expiry sweep and the reaction to the engine's events. */
  lead(): void {
    if (!this.#expiryTimer) {
      this.#expiryTimer = setInterval(() => void this.lifecycle.expire(), 1000)
      this.#expiryTimer.unref()
    }
    this.lifecycle.start()
    this.pool?.start()
  }

  /** Gives the leader's part up (the lease was lost or the server is stopping). */
  follow(): void {
    clearInterval(this.#expiryTimer)
    this.#expiryTimer = undefined
    this.lifecycle.stopWatching()
    // Another server leads now: this one's pooled sandboxes go (creates that took one keep it).
    void this.pool?.stop()
  }

  /**
   * Stops timers and the event watch, removes the warm pool, waits for
   * operations under way, drops agent connections.
   */
  async stop(): Promise<void> {
    this.follow()
    await this.pool?.stop()
    await this.lifecycle.stop()
    this.#containers.close()
    // Last: a claim under way needed the pool directory shared. Claimed sandboxes keep it so.
    if (this.pool) await this.#containers.poolMounts.releaseRootIfUnused()
  }

  /** Creates a sandbox; with `wait` (the default) resolves once its agent answers. */
  async create(body: CreateSandboxBody, wait = true): Promise<Sandbox> {
    const { config, runtime, workspaces } = this.#options
    const defaults = config.sandboxDefaults
    await workspaces.get(body.workspace_id)
    const applicationKind = body.application_kind ?? defaults.applicationKind
    const source = body.application_kind ? 'request' : 'default'
    const launch = this.#containers.kindLaunch(applicationKind, source)
    const template = body.template ?? launch?.template ?? defaults.image
    const secretsGateway = runtime.name === 'docker' && !runtime.capabilities.networkless
    const secretsCa =
      secretsGateway && Object.keys(body.secrets ?? {}).length ? await newSandboxCa() : undefined
    // Template, limits and network are checked (400) before the template is looked up (404).
    let record = newSandboxRecord(body, {
      defaults,
      template,
      templateSource: templateSource(body.template, launch?.template, applicationKind),
      applicationKind,
      networkless: runtime.capabilities.networkless,
      diskLimitRefusal: runtime.capabilities.diskLimitRefusal,
      hostRules: runtime.name !== 'kubernetes',
      idleAction: config.janitor.idleAction,
      secretsGateway,
      secretsCa,
    })
    checkFitsHost(record, body, await runtime.hostResources())
    const key = this.pool && claimKey(body, record)
    const pooled = key ? this.pool?.take(key) : undefined
    if (pooled) {
      // The sandbox takes the pooled one's identity: its container's name, labels and agent token.
      record = { ...record, id: pooled.id, agentToken: pooled.agentToken }
    } else if (!(await runtime.imageExists(template))) {
      throw new ApiError('TEMPLATE_NOT_FOUND', `template ${template} not found`, { template })
    }
    const { inserted, running } = this.#createOrClaim(record, body, pooled !== undefined)
    await inserted
    if (!wait) {
      running.catch(() => undefined)
      return this.toWire(record)
    }
    return this.toWire(await running)
  }

  /** Writes the row of a new sandbox and boots it (or claims the pooled sandbox of its id). */
  #createOrClaim(record: SandboxRecord, body: CreateSandboxBody, claimed: boolean) {
    const { store } = this.#options
    const created = this.lifecycle.create(
      record,
      async () => {
        try {
          await store.insertSandbox(record)
        } catch (error) {
          // The workspace went away between the check and the insert (foreign key).
          if (!(await store.getWorkspace(body.workspace_id))) {
            throw new ApiError('WORKSPACE_NOT_FOUND', `workspace ${body.workspace_id} not found`)
          }
          throw error
        }
      },
      claimed,
    )
    if (claimed) {
      // Written: the sandbox is the controller's. Not written: the pooled one goes.
      created.inserted.then(
        () => this.pool?.settled(record.id),
        () => void this.pool?.discard(record.id),
      )
    }
    return created
  }

  /** The sandbox `id`; 404 code 2001 when there is none. */
  async get(id: string): Promise<Sandbox> {
    return this.toWire(await this.require(id))
  }

  /** Sandboxes matching `filter`, oldest first. */
  async list(filter: SandboxFilter): Promise<Sandbox[]> {
    return (await this.#options.store.listSandboxes(filter)).map((record) => this.toWire(record))
  }

  /** A sandbox row as clients see it, with its last activity. */
  toWire(record: SandboxRecord): Sandbox {
    return {
      ...sandboxToWire(record, this.#options.activity?.lastActivityAt(record)),
      network: networkStatus(record, this.#options.denials),
      secrets: secretsStatus(record),
    }
  }

  /** The sandbox's network policy and what it was refused; 404 code 2001 when there is none. */
  async network(id: string): Promise<NetworkStatus> {
    return networkStatus(await this.require(id), this.#options.denials)
  }

  /** Changes a running sandbox's network policy (see `updateNetwork`). */
  async updateNetwork(id: string, body: NetworkPolicyBody): Promise<NetworkStatus> {
    const { store, runtime } = this.#options
    const updated = await updateNetwork(store, await this.require(id), body, {
      networkless: runtime.capabilities.networkless,
      hostRules: runtime.name !== 'kubernetes',
      changeable: runtime.name === 'docker',
    })
    return networkStatus(updated, this.#options.denials)
  }

  /** Stops and removes the sandbox; `force` skips the grace period. */
  async delete(id: string, force: boolean): Promise<void> {
    await this.lifecycle.delete(id, force)
  }

  /** Stops the sandbox, keeping its container and root filesystem. */
  async stopSandbox(id: string): Promise<Sandbox> {
    return this.toWire(await this.lifecycle.stopSandbox(id))
  }

  /** Starts a stopped or failed sandbox again (a paused one is resumed). */
  async startSandbox(id: string): Promise<Sandbox> {
    return this.toWire(await this.lifecycle.startSandbox(id))
  }

  /** Freezes every process of the sandbox. */
  async pause(id: string): Promise<Sandbox> {
    return this.toWire(await this.lifecycle.pause(id))
  }

  /** Makes the sandbox run again (paused: thawed; stopped: started). */
  async resume(id: string): Promise<Sandbox> {
    return this.toWire(await this.lifecycle.resume(id))
  }

  /** The row of a sandbox; 404 code 2001 when there is none. */
  async require(id: string): Promise<SandboxRecord> {
    return this.#transitions.require(id)
  }

  /**
   * The agent of a running sandbox. An operation under way on it is waited
   * for; a paused or stopped sandbox with `auto_resume` is resumed or
   * started first; otherwise 409 code 2002 when it is not running.
   */
  async agentFor(id: string): Promise<AgentClient> {
    await this.lifecycle.settled(id)
    let record = await this.require(id)
    if (record.state !== 'running') record = await this.lifecycle.ensureRunning(id)
    return this.#containers.agent(record)
  }

  /** Host directory shared with the sandbox at /run/wm. */
  runDir(id: string): string {
    return this.#containers.runDir(id)
  }

  /** Calls `listener` with the id of every sandbox whose row is deleted. */
  onForget(listener: (id: string) => void): void {
    this.#transitions.onForget(listener)
  }
}
