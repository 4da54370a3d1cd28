import fs from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../config/index.js'
import type { SandboxRecord } from '../../store/index.js'
import type { SandboxRuntime } from '../../runtime/types.js'
import { AgentClient } from '../../agent/client.js'
import type { WorkspaceService } from '../workspaces.js'
import { RUN_FILES, waitForAgentAt } from '../agent-ready.js'
import type { KindLaunch, SandboxKinds } from '../sandbox-kinds.js'

/** What the container keeper needs. */
export interface SandboxContainersOptions {
  config: Config
  runtime: SandboxRuntime
  workspaces: WorkspaceService
  kinds?: SandboxKinds
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

  constructor(options: SandboxContainersOptions) {
    this.#options = options
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
    await this.#ready(record)
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
    await this.#options.runtime.startExisting(record.id)
    await this.#ready(record)
  }

  async #ready(record: SandboxRecord): Promise<void> {
    const { config, runtime } = this.#options
    const runDir = this.runDir(record.id)
    // Asked anew on every start: a new pod has a new IP. A container that
    // died at once has no endpoint; why it died is the better message.
    const endpoint = await runtime.agentEndpoint(record.id, runDir).catch(async (error: Error) => {
      const why = await this.whyNotRunning(record.id)
      throw why ? new Error(why) : error
    })
    await waitForAgentAt(
      endpoint,
      runDir,
      record.agentToken,
      config.agent.startTimeoutSeconds * 1000,
      () => this.whyNotRunning(record.id),
    )
    this.closeAgent(record.id)
    const agent = new AgentClient(record.id, endpoint, record.agentToken)
    this.#agents.set(record.id, agent)
    await agent.json({ method: 'GET', path: '/v1/processes', timeoutMs: 5000 })
    await this.kindLaunch(record.applicationKind, 'request')?.ready?.(agent)
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
