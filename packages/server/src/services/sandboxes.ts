import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { CreateSandboxBody, Sandbox } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { Config } from '../config/index.js'
import type { MetadataStore, SandboxFilter, SandboxRecord } from '../store/index.js'
import type { RuntimeEvent, SandboxRuntime } from '../runtime/types.js'
import { RuntimeError } from '../runtime/errors.js'
import { AgentClient } from '../agent/client.js'
import type { WorkspaceService } from './workspaces.js'
import { RUN_FILES, waitForAgentReady, waitForRunFile } from './agent-ready.js'
import { sandboxToWire } from './sandbox-wire.js'
import { newSandboxRecord, templateSource } from './sandbox-request.js'
import { checkFitsHost, warnOfDefaultsBeyondHost } from './host-limits.js'
import type { ActivityTracker } from './activity.js'
import type { KindLaunch, SandboxKinds } from './sandbox-kinds.js'

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
}

/**
 * Sandbox lifecycle. The row (desired state) is written before the engine is
 * called, so a crash mid-create leaves a row the reconciler can finish off,
 * never a container nobody knows about.
 */
export class SandboxService {
  readonly #options: SandboxServiceOptions
  readonly #agents = new Map<string, AgentClient>()
  readonly #forgetListeners: Array<(id: string) => void> = []
  #expiryTimer: NodeJS.Timeout | undefined
  #stopWatching: (() => void) | undefined

  constructor(options: SandboxServiceOptions) {
    this.#options = options
  }

  /** Starts the expiry sweep and the engine event watch. */
  start(): void {
    this.#expiryTimer = setInterval(() => void this.#expire(), 1000)
    this.#expiryTimer.unref()
    this.#stopWatching = this.#options.runtime.watch((event) => void this.#onRuntimeEvent(event))
    const { config, runtime, log } = this.#options
    void warnOfDefaultsBeyondHost(config.sandboxDefaults, () => runtime.hostResources(), log)
  }

  /** Stops timers, the event watch and every agent connection. */
  stop(): void {
    clearInterval(this.#expiryTimer)
    this.#stopWatching?.()
    for (const agent of this.#agents.values()) agent.close()
    this.#agents.clear()
  }

  /** Creates a sandbox; with `wait` (the default) resolves once its agent answers. */
  async create(body: CreateSandboxBody, wait = true): Promise<Sandbox> {
    const { config, store, runtime, workspaces } = this.#options
    const defaults = config.sandboxDefaults
    await workspaces.get(body.workspace_id)
    const applicationKind = body.application_kind ?? defaults.applicationKind
    const launch = this.#kindLaunch(applicationKind, body.application_kind ? 'request' : 'default')
    const template = body.template ?? launch?.template ?? defaults.image
    // Template, limits and network are checked (400) before the template is looked up (404).
    const record = newSandboxRecord(body, {
      defaults,
      template,
      templateSource: templateSource(body.template, launch?.template, applicationKind),
      applicationKind,
      networkless: runtime.capabilities.networkless,
    })
    checkFitsHost(record, body, await runtime.hostResources())
    if (!(await runtime.imageExists(template))) {
      throw new ApiError('TEMPLATE_NOT_FOUND', `template ${template} not found`, { template })
    }
    try {
      await store.insertSandbox(record)
    } catch (error) {
      // The workspace went away between the check and the insert (foreign key).
      if (!(await store.getWorkspace(body.workspace_id))) {
        throw new ApiError('WORKSPACE_NOT_FOUND', `workspace ${body.workspace_id} not found`)
      }
      throw error
    }
    const boot = this.#boot(record)
    if (!wait) {
      boot.catch(() => undefined)
      return this.toWire(record)
    }
    return this.toWire(await boot)
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
    return sandboxToWire(record, this.#options.activity?.lastActivityAt(record))
  }

  /** Stops and removes the sandbox; `force` skips the grace period. */
  async delete(id: string, force: boolean): Promise<void> {
    const record = await this.require(id)
    const { store, runtime, config } = this.#options
    await store.updateSandbox(id, { state: 'stopping' })
    try {
      await runtime.remove(id, force ? 0 : config.sandboxDefaults.stopTimeoutSeconds)
    } catch (error) {
      await store.updateSandbox(id, { state: record.state === 'stopping' ? 'error' : record.state })
      throw error
    }
    await this.#forget(id)
  }

  /** The row of a sandbox; 404 code 2001 when there is none. */
  async require(id: string): Promise<SandboxRecord> {
    const record = await this.#options.store.getSandbox(id)
    if (!record) throw new ApiError('SANDBOX_NOT_FOUND', `sandbox ${id} not found`, { id })
    return record
  }

  /** The agent of a running sandbox; 409 code 2002 when it is not running. */
  async agentFor(id: string): Promise<AgentClient> {
    const record = await this.require(id)
    if (record.state !== 'running') {
      throw new ApiError('SANDBOX_NOT_RUNNING', `sandbox ${id} is ${record.state}, not running`, {
        id,
        state: record.state,
        ...(record.errorMessage ? { error_message: record.errorMessage } : {}),
      })
    }
    return this.#agent(record)
  }

  /** Host directory shared with the sandbox at /run/wm. */
  runDir(id: string): string {
    return path.join(this.#options.config.dataDir, 'sandboxes', id, 'run')
  }

  /** Calls `listener` with the id of every sandbox whose row is deleted. */
  onForget(listener: (id: string) => void): void {
    this.#forgetListeners.push(listener)
  }

  /**
   * Replaces a sandbox's container, keeping its id, row and spec: the
   * current container is stopped and removed, `prepare` runs while none
   * runs, and a new one is started from `image`. Resolves once it is
   * running; on failure the sandbox is left in state error, saying why.
   */
  async replaceContainer(
    id: string,
    image: string,
    prepare: () => Promise<void>,
    options: { restoreFrom?: string } = {},
  ): Promise<Sandbox> {
    const { store, runtime, config } = this.#options
    const record = await this.require(id)
    // Starting, not running: the old container's exit is expected, not a failure.
    await store.updateSandbox(id, { state: 'starting', errorMessage: null })
    this.#agents.get(id)?.close()
    this.#agents.delete(id)
    try {
      await runtime.remove(id, config.sandboxDefaults.stopTimeoutSeconds)
      await prepare()
      await this.#launch(record, image, options.restoreFrom)
    } catch (error) {
      const message = `sandbox could not be restarted: ${(error as Error).message}`
      await this.fail(id, message)
      // Runtime failures keep their kind; the HTTP layer gives them their code.
      if (error instanceof ApiError || error instanceof RuntimeError) throw error
      throw new ApiError('AGENT_NOT_CONNECTED', message, { template: image })
    }
    if (!(await store.updateSandbox(id, { state: 'running' }))) {
      await runtime.remove(id, 0).catch(() => undefined)
      throw new ApiError('SANDBOX_NOT_FOUND', `sandbox ${id} was deleted while restarting`)
    }
    return this.get(id)
  }

  /**
   * Has the agent of a running sandbox let go of its socket, as runsc needs
   * to save the sandbox, and marks it starting meanwhile so that its
   * container stopping is expected. Calls on it get 409 until it is back:
   * `resumeInPlace`, or `replaceContainer(..., { restoreFrom })`.
   */
  async suspend(id: string): Promise<void> {
    const { store } = this.#options
    const record = await this.require(id)
    if (record.state !== 'running') {
      throw new ApiError('SANDBOX_NOT_RUNNING', `sandbox ${id} is ${record.state}, not running`, {
        id,
        state: record.state,
      })
    }
    const agent = this.#agent(record)
    await store.updateSandbox(id, { state: 'starting', errorMessage: null })
    try {
      await agent.json({ method: 'POST', path: '/v1/detach', timeoutMs: 5000 })
      await waitForRunFile(this.runDir(id), RUN_FILES.detached, 10_000, () =>
        this.#whyNotRunning(id),
      )
    } catch (error) {
      await this.resumeOrFail(
        id,
        `the agent did not come back after a checkpoint: ${(error as Error).message}`,
      )
      throw error
    } finally {
      agent.close()
      this.#agents.delete(id)
    }
  }

  /**
   * Has a suspended sandbox's agent take its socket again in the same
   * container; an agent that never let go (it refused) just carries on.
   */
  async resumeInPlace(id: string): Promise<void> {
    const { store, config } = this.#options
    const runDir = this.runDir(id)
    if (fsSync.existsSync(path.join(runDir, RUN_FILES.detached))) {
      await fs.rm(path.join(runDir, 'agent.sock'), { force: true })
      await fs.writeFile(path.join(runDir, RUN_FILES.resume), '')
    }
    await waitForAgentReady(runDir, config.agent.startTimeoutSeconds * 1000, () =>
      this.#whyNotRunning(id),
    )
    await store.updateSandbox(id, { state: 'running' })
  }

  /**
   * Back to running as it was after a suspend that went no further; a
   * sandbox whose agent does not come back is failed with `message`, never
   * left starting.
   */
  async resumeOrFail(id: string, message: string): Promise<void> {
    await this.resumeInPlace(id).catch(() => this.fail(id, message))
  }

  /** Marks a sandbox failed and removes its container, keeping the row so the reason is visible. */
  async fail(id: string, message: string): Promise<void> {
    const { store, runtime, log } = this.#options
    log.warn({ sandboxId: id, reason: message }, 'sandbox failed')
    await store.updateSandbox(id, { state: 'error', errorMessage: message })
    this.#agents.get(id)?.close()
    this.#agents.delete(id)
    await runtime.remove(id, 0).catch((error: unknown) => {
      log.warn({ err: error, sandboxId: id }, 'could not remove the container of a failed sandbox')
    })
  }

  async #boot(record: SandboxRecord): Promise<SandboxRecord> {
    const { store, runtime } = this.#options
    try {
      await this.#launch(record, record.template)
    } catch (error) {
      // Nothing half-made is kept: the container goes, and so does the row.
      await runtime.remove(record.id, 0).catch(() => undefined)
      await this.#forget(record.id)
      // Runtime failures keep their kind; the HTTP layer gives them their code.
      if (error instanceof ApiError || error instanceof RuntimeError) throw error
      throw new ApiError(
        'AGENT_NOT_CONNECTED',
        `sandbox could not start: ${(error as Error).message}`,
        {
          template: record.template,
        },
      )
    }
    const running = await store.updateSandbox(record.id, { state: 'running' })
    if (!running)
      throw new ApiError('SANDBOX_NOT_FOUND', `sandbox ${record.id} was deleted while starting`)
    return running
  }

  /** What the sandbox's application kind asks of it; null without a kind (or without plugins). */
  #kindLaunch(kind: string | null, source: 'request' | 'default'): KindLaunch | null {
    if (kind === null || !this.#options.kinds) return null
    return this.#options.kinds.launch(kind, source)
  }

  /**
   * Starts the container of `record` from `image` (with `restoreFrom`, from
   * saved processes: see `suspend`) and waits until its agent (and kind) are ready.
   */
  async #launch(record: SandboxRecord, image: string, restoreFrom?: string): Promise<void> {
    const { config, runtime, workspaces } = this.#options
    const launch = this.#kindLaunch(record.applicationKind, 'request')
    const runDir = this.runDir(record.id)
    await fs.rm(runDir, { recursive: true, force: true })
    await fs.mkdir(runDir, { recursive: true, mode: 0o700 })
    // A restored agent is waiting to be told to take its socket again.
    if (restoreFrom) await fs.writeFile(path.join(runDir, RUN_FILES.resume), '')
    await runtime.start({
      sandboxId: record.id,
      workspaceId: record.workspaceId,
      containerName: `${config.sandboxDefaults.containerPrefix}${record.id}`,
      image,
      env: { ...launch?.env, ...record.env },
      nanoCpus: record.nanoCpus,
      memoryBytes: record.memoryBytes,
      pidsLimit: config.sandboxDefaults.pidsLimit,
      networkMode: record.networkMode,
      workspaceHostDir: workspaces.hostDir(record.workspaceId),
      containerWorkspaceDir: config.sandboxDefaults.containerWorkspaceDir,
      agentBinaryHostPath: config.agent.binaryPath,
      runHostDir: runDir,
      agentToken: record.agentToken,
      toolsVolume: launch?.toolsVolume ? config.sandboxDefaults.toolsVolume : null,
      runImageCommand: launch?.runImageCommand ?? false,
      restoreFrom: restoreFrom ?? null,
    })
    await waitForAgentReady(runDir, config.agent.startTimeoutSeconds * 1000, () =>
      this.#whyNotRunning(record.id),
    )
    await this.#agent(record).json({ method: 'GET', path: '/v1/processes', timeoutMs: 5000 })
    await launch?.ready?.(this.#agent(record))
  }

  /** Why the sandbox's container is not running, or null while it runs. */
  async #whyNotRunning(id: string): Promise<string | null> {
    const status = await this.#options.runtime.inspect(id)
    if (!status) return 'the container disappeared while starting'
    if (!status.running) {
      return `the container exited while starting (code ${status.exitCode}${status.error ? `: ${status.error}` : ''})`
    }
    return null
  }

  #agent(record: SandboxRecord): AgentClient {
    let agent = this.#agents.get(record.id)
    if (!agent) {
      agent = new AgentClient(
        record.id,
        path.join(this.runDir(record.id), 'agent.sock'),
        record.agentToken,
      )
      this.#agents.set(record.id, agent)
    }
    return agent
  }

  async #forget(id: string): Promise<void> {
    this.#agents.get(id)?.close()
    this.#agents.delete(id)
    await this.#options.store.deleteSandbox(id)
    for (const listener of this.#forgetListeners) listener(id)
    await fs.rm(path.join(this.#options.config.dataDir, 'sandboxes', id), {
      recursive: true,
      force: true,
    })
  }

  async #expire(): Promise<void> {
    const now = new Date().toISOString()
    for (const record of await this.#options.store.listSandboxes()) {
      if (!record.expiresAt || record.expiresAt > now || record.state === 'stopping') continue
      this.#options.log.info({ sandboxId: record.id }, 'sandbox timeout reached: stopping it')
      await this.delete(record.id, false).catch((error: unknown) => {
        this.#options.log.warn(
          { err: error, sandboxId: record.id },
          'could not stop an expired sandbox',
        )
      })
    }
  }

  async #onRuntimeEvent(event: RuntimeEvent): Promise<void> {
    const record = await this.#options.store.getSandbox(event.sandboxId)
    if (!record) return
    if (event.type === 'oom') {
      this.#options.log.warn({ sandboxId: record.id }, 'a process in the sandbox ran out of memory')
      return
    }
    if (record.state === 'running') {
      const status = await this.#options.runtime.inspect(record.id).catch(() => undefined)
      // A container that runs is the sandbox's current one: the one that died was replaced.
      if (status?.running) return
      const reason = status?.oomKilled
        ? 'the sandbox ran out of memory and its container was killed'
        : `the container exited unexpectedly (code ${event.exitCode ?? 'unknown'})`
      await this.fail(record.id, reason)
    }
  }
}
