import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../config/index.js'
import type { SandboxRecord } from '../../store/index.js'
import type { SandboxRuntime } from '../../runtime/types.js'
import { AgentClient } from '../../agent/client.js'
import type { WorkspaceService } from '../workspaces.js'
import { RUN_FILES, waitForAgentAt } from '../agent-ready.js'
import type { KindLaunch, SandboxKinds } from '../sandbox-kinds.js'
import { PoolMounts } from '../pool/mounts.js'
import { trustEnv, writeTrustFiles } from '../sandbox-secrets.js'

/** What the container keeper needs. */
export interface SandboxContainersOptions {
  config: Config
  runtime: SandboxRuntime
  workspaces: WorkspaceService
  kinds?: SandboxKinds
}

/** The workspace label of a pooled container: it has no workspace until it is claimed. */
export const POOL_WORKSPACE = 'pool'

/** What the warm pool makes a container from: no row exists for it yet. */
export interface PooledLaunch {
  id: string
  agentToken: string
  template: string
  nanoCpus: number
  memoryBytes: number
  diskBytes: number | null
  networkMode: string
}

/** Files the agent leaves in its run directory that must not outlive its container's run. */
const RUN_STATE = ['ready', 'agent.sock', RUN_FILES.detached, RUN_FILES.resume]

/**
 * The containers of sandboxes and the connections to their agents: makes a
 * container from a sandbox's spec, starts a stopped one again, and waits
 * until its agent answers. It changes no row: the lifecycle controller
 * decides, this carries out.
 */
export class SandboxContainers {
  readonly #options: SandboxContainersOptions
  readonly #agents = new Map<string, AgentClient>()
  /** Slots of the warm pool's sandboxes, where their workspace is attached when claimed. */
  readonly poolMounts: PoolMounts

  constructor(options: SandboxContainersOptions) {
    this.#options = options
    this.poolMounts = new PoolMounts(path.join(options.config.dataDir, 'pool'))
  }

  /** Host directory shared with the sandbox at /run/wm. */
  runDir(id: string): string {
    return path.join(this.#options.config.dataDir, 'sandboxes', id, 'run')
  }

  /** What the sandbox's application kind asks of it; null without a kind (or without plugins). */
  kindLaunch(kind: string | null, source: 'request' | 'default'): KindLaunch | null {
    if (kind === null || !this.#options.kinds) return null
    return this.#options.kinds.launch(kind, source)
  }

  /**
   * Makes and starts the container of `record` from `image` (with
   * `restoreFrom`, from saved processes) and waits until its agent (and kind)
   * are ready.
   */
  async launch(record: SandboxRecord, image: string, restoreFrom?: string): Promise<void> {
    const { config, runtime, workspaces } = this.#options
    const launch = this.kindLaunch(record.applicationKind, 'request')
    const runDir = this.runDir(record.id)
    this.closeAgent(record.id)
    // A claimed pool sandbox made anew gets its workspace bound directly: its slot has had its day.
    await this.poolMounts.release(record.id)
    await fs.rm(runDir, { recursive: true, force: true })
    await fs.mkdir(runDir, { recursive: true, mode: 0o700 })
    if (restoreFrom) {
      // The saved agent had written `detached` here, and gVisor's restore walks every file its
      // saved filesystem state knows of in host mounts: without it the restore fails ("failed
      // to walk detached"). The agent removes it once it takes its socket again.
      await fs.writeFile(path.join(runDir, RUN_FILES.detached), '')
      // A restored agent is waiting to be told to take its socket again.
      await fs.writeFile(path.join(runDir, RUN_FILES.resume), '')
    }
    await writeTrustFiles(record, runDir)
    await runtime.start({
      sandboxId: record.id,
      workspaceId: record.workspaceId,
      containerName: `${config.sandboxDefaults.containerPrefix}${record.id}`,
      image,
      // With secrets, the usual tools trust the sandbox's CA (the gateway shows it for their hosts).
      env: { ...launch?.env, ...(record.egressSecrets ? trustEnv() : {}), ...record.env },
      nanoCpus: record.nanoCpus,
      memoryBytes: record.memoryBytes,
      diskBytes: record.diskBytes,
      pidsLimit: config.sandboxDefaults.pidsLimit,
      networkMode: record.networkMode,
      egress: record.networkAllow !== null,
      egressAllow: record.networkAllow ?? [],
      workspaceHostDir: workspaces.hostDir(record.workspaceId),
      containerWorkspaceDir: config.sandboxDefaults.containerWorkspaceDir,
      agentBinaryHostPath: config.agent.binaryPath,
      runHostDir: runDir,
      agentToken: record.agentToken,
      toolsVolume: launch?.toolsVolume ? config.sandboxDefaults.toolsVolume : null,
      runImageCommand: launch?.runImageCommand ?? false,
      restoreFrom: restoreFrom ?? null,
    })
    await this.#ready(record.id, record.agentToken, record.applicationKind)
  }

  /**
   * Makes and starts a warm pool container: the default limits, no network,
   * and for workspace only the empty slot of `pooled.id`, bound with rslave
   * propagation; nothing but the agent runs in it. Resolves once the agent answers.
   */
  async launchPooled(pooled: PooledLaunch): Promise<void> {
    const { config, runtime } = this.#options
    const runDir = this.runDir(pooled.id)
    await fs.mkdir(runDir, { recursive: true, mode: 0o700 })
    await runtime.start({
      sandboxId: pooled.id,
      workspaceId: POOL_WORKSPACE,
      containerName: `${config.sandboxDefaults.containerPrefix}${pooled.id}`,
      image: pooled.template,
      env: {},
      nanoCpus: pooled.nanoCpus,
      memoryBytes: pooled.memoryBytes,
      diskBytes: pooled.diskBytes,
      pidsLimit: config.sandboxDefaults.pidsLimit,
      networkMode: pooled.networkMode,
      workspaceHostDir: await this.poolMounts.createSlot(pooled.id),
      workspacePropagation: 'rslave',
      containerWorkspaceDir: config.sandboxDefaults.containerWorkspaceDir,
      agentBinaryHostPath: config.agent.binaryPath,
      runHostDir: runDir,
      agentToken: pooled.agentToken,
      toolsVolume: null,
      runImageCommand: false,
      restoreFrom: null,
    })
    await this.#ready(pooled.id, pooled.agentToken, null)
  }

  /**
   * Makes the pooled sandbox `record.id` the sandbox of `record`: its
   * workspace attached at the workspace path, its env given to every process
   * and PTY. Throws unless the agent answers and has never run a process (a
   * pooled sandbox that ran anything is not handed out); the caller then
   * removes the container, and its next launch the slot's mount.
   */
  async claim(record: SandboxRecord): Promise<void> {
    const agent = this.#agents.get(record.id)
    if (!agent) throw new Error('the pooled sandbox has no agent connection')
    // Asked while the workspace is attached: nothing in the sandbox can use it before the
    // claim ends, and on failure the container goes (and the mount with it) before any use.
    const [asked, attached] = await Promise.allSettled([
      agent.json<{ processes: unknown[] }>({
        method: 'GET',
        path: '/v1/processes',
        timeoutMs: 5000,
      }),
      this.poolMounts.attach(record.id, this.#options.workspaces.hostDir(record.workspaceId)),
    ])
    if (asked.status === 'rejected') throw asked.reason
    if (asked.value.processes.length) throw new Error('the pooled sandbox has run processes')
    if (attached.status === 'rejected') throw attached.reason
    agent.processEnv = record.env ?? {}
  }

  /**
   * Starts the stopped container of `record` again (its root filesystem as
   * it was left; processes start afresh) and waits until its agent answers.
   */
  async startAgain(record: SandboxRecord): Promise<void> {
    const runDir = this.runDir(record.id)
    this.closeAgent(record.id)
    await fs.mkdir(runDir, { recursive: true, mode: 0o700 })
    // The last run's ready file and socket would pass for the new agent's.
    for (const name of RUN_STATE) await fs.rm(path.join(runDir, name), { force: true })
    await writeTrustFiles(record, runDir)
    await this.#reattach(record)
    await this.#options.runtime.startExisting(record.id)
    await this.#ready(
      record.id,
      record.agentToken,
      record.applicationKind,
      this.#claimedEnv(record),
    )
  }

  /**
   * The env a claimed pool sandbox (its slot is there) gets per process: its
   * container was made before the sandbox had one. Undefined for the rest.
   */
  #claimedEnv(record: SandboxRecord): Record<string, string> | undefined {
    if (!record.env || !fsSync.existsSync(this.poolMounts.slot(record.id))) return undefined
    return record.env
  }

  /** A claimed pool sandbox whose workspace mount went (the host restarted) gets it again. */
  async #reattach(record: SandboxRecord): Promise<void> {
    const mounts = this.poolMounts
    if (!(await mounts.hasSlot(record.id)) || (await mounts.attached(record.id))) return
    await mounts.prepareRoot()
    await mounts.attach(record.id, this.#options.workspaces.hostDir(record.workspaceId))
  }

  async #ready(
    id: string,
    agentToken: string,
    kind: string | null,
    processEnv?: Record<string, string>,
  ): Promise<void> {
    const { config, runtime } = this.#options
    const runDir = this.runDir(id)
    // Asked anew on every start: a new pod has a new IP. A container that
    // died at once has no endpoint; why it died is the better message.
    const endpoint = await runtime.agentEndpoint(id, runDir).catch(async (error: Error) => {
      const why = await this.whyNotRunning(id)
      throw why ? new Error(why) : error
    })
    await waitForAgentAt(
      endpoint,
      runDir,
      agentToken,
      config.agent.startTimeoutSeconds * 1000,
      () => this.whyNotRunning(id),
    )
    this.closeAgent(id)
    const agent = new AgentClient(id, endpoint, agentToken)
    if (processEnv) agent.processEnv = processEnv
    this.#agents.set(id, agent)
    await agent.json({ method: 'GET', path: '/v1/processes', timeoutMs: 5000 })
    await this.kindLaunch(kind, 'request')?.ready?.(agent)
  }

  /** Why the sandbox's container is not running, or null while it runs. */
  async whyNotRunning(id: string): Promise<string | null> {
    const status = await this.#options.runtime.inspect(id)
    if (!status) return 'the container disappeared while starting'
    if (!status.running) {
      return `the container exited while starting (code ${status.exitCode}${status.error ? `: ${status.error}` : ''})`
    }
    return null
  }

  /**
   * The (pooled) client of the sandbox's agent. One made here (a sandbox
   * this server did not start, e.g. after a restart) asks the runtime where
   * the agent listens on its first connection; the client is dropped, and
   * the runtime asked again, whenever the container starts anew.
   */
  agent(record: SandboxRecord): AgentClient {
    let agent = this.#agents.get(record.id)
    if (!agent) {
      const runDir = this.runDir(record.id)
      agent = new AgentClient(
        record.id,
        () => this.#options.runtime.agentEndpoint(record.id, runDir),
        record.agentToken,
      )
      const processEnv = this.#claimedEnv(record)
      if (processEnv) agent.processEnv = processEnv
      this.#agents.set(record.id, agent)
    }
    return agent
  }

  /** Drops the connections to a sandbox's agent (its container is going or gone). */
  closeAgent(id: string): void {
    this.#agents.get(id)?.close()
    this.#agents.delete(id)
  }

  /** Removes what the server keeps on disk for a sandbox. */
  async removeFiles(id: string): Promise<void> {
    this.closeAgent(id)
    await this.poolMounts.release(id)
    await fs.rm(path.join(this.#options.config.dataDir, 'sandboxes', id), {
      recursive: true,
      force: true,
    })
  }

  /** Closes every agent connection. */
  close(): void {
    for (const agent of this.#agents.values()) agent.close()
    this.#agents.clear()
  }
}
