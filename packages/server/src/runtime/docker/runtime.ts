import path from 'node:path'
import type Docker from 'dockerode'
import type { FastifyBaseLogger } from 'fastify'
import { RuntimeError } from '../errors.js'
import {
  LABELS,
  type AgentEndpoint,
  type ContainerStatus,
  type HostResources,
  type RuntimeCapabilities,
  type RuntimeEvent,
  type SandboxRuntime,
  type SandboxSpec,
} from '../types.js'
import { containerConfig } from './container-config.js'
import { foundByIdPrefix, toStatus } from './container-status.js'
import { DiskLimits } from './disk-limit.js'
import { DockerEgressNetwork } from './egress-network.js'
import { engineStatus } from './connection.js'
import { engineFailure } from './engine-errors.js'
import { watchEngine } from './events.js'
import {
  commitContainer,
  ensureVolume,
  imageCommand,
  listInstanceImages,
  removeImage,
} from './images.js'
import { probeLiveRestore } from './live-restore.js'
import {
  checkpointContainer,
  placeCheckpoint,
  probeRunsc,
  startFromCheckpoint,
} from './process-checkpoints.js'

/** Label that ties a container to one server's data dir, so servers sharing an engine leave each other alone. */
export const INSTANCE_LABEL = 'wm.instance'

/** Options of the Docker runtime. */
export interface DockerRuntimeOptions {
  docker: Docker
  /** Identifies this server's containers among others on the same engine. */
  instanceId: string
  containerPrefix: string
  /** DOCKER_PLATFORM, passed when creating containers. */
  platform: string | null
  /** OCI runtime to run sandboxes under (`runsc` for gVisor), or null for the engine's default. */
  ociRuntime: string | null
  log: FastifyBaseLogger
}

/** Sandboxes as Docker containers, through dockerode: the only module that imports it. */
export class DockerRuntime implements SandboxRuntime {
  readonly name = 'docker'
  readonly capabilities: RuntimeCapabilities = {
    processCheckpoints: false,
    networkless: false,
    filesystemCheckpoints: true,
    diskLimit: false,
  }
  readonly #docker: Docker
  readonly #options: DockerRuntimeOptions
  #liveRestore: boolean | null = null
  /** Docker's data root, known once `probe` found process checkpoints work. */
  #rootDir: string | null = null
  /** Root filesystem sizes: what the storage driver can do, and the size option of a spec. */
  readonly #disk: DiskLimits
  /** The host's size, once the engine told it (it does not change while the engine runs). */
  #host: HostResources | null = null
  /** The network of sandboxes behind the egress gateway. */
  readonly egressNetwork: DockerEgressNetwork

  constructor(options: DockerRuntimeOptions) {
    this.#options = options
    this.#docker = options.docker
    this.#disk = new DiskLimits(options.docker, this.capabilities)
    this.egressNetwork = new DockerEgressNetwork(
      options.docker,
      options.instanceId,
      options.containerPrefix,
    )
  }

  /**
   * Whether the engine keeps sandboxes running across its own restart (live-restore), as
   * `probe` found it (and warned when not); `null` until the engine has told.
   */
  get liveRestore(): boolean | null {
    return this.#liveRestore
  }

  async probe(): Promise<void> {
    const { ociRuntime, log } = this.#options
    await this.#disk.probe().then(
      (disk) => {
        if (!disk.supported) log.info(`disk_bytes will be refused: ${disk.reason}`)
      },
      (error: unknown) => {
        log.warn({ err: error }, "could not ask the engine whether it can limit a sandbox's disk")
      },
    )
    try {
      this.#liveRestore = await probeLiveRestore(this.#docker, log)
    } catch (error) {
      log.warn({ err: error }, 'could not ask the engine whether it has live-restore')
    }
    if (!ociRuntime) return
    try {
      const support = await probeRunsc(this.#docker, ociRuntime, log)
      this.capabilities.processCheckpoints = support.processCheckpoints
      this.capabilities.networkless = support.networkless
      this.#rootDir = support.rootDir
      log.info(
        { runtime: ociRuntime, ...this.capabilities },
        support.processCheckpoints
          ? 'sandboxes run under gVisor; checkpoints save processes'
          : 'sandboxes run under gVisor; checkpoints are filesystem checkpoints',
      )
    } catch (error) {
      log.warn({ err: error }, 'could not ask the engine what its runtimes can do')
    }
  }

  async checkpointProcesses(sandboxId: string, destDir: string): Promise<void> {
    if (!this.capabilities.processCheckpoints || !this.#rootDir) throw noProcessCheckpoints()
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    try {
      await checkpointContainer(container, this.#rootDir, destDir)
    } catch (error) {
      throw engineFailure(error, { action: 'checkpoint the container', missing: { sandboxId } })
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#docker.ping()
    } catch (error) {
      throw engineFailure(error, { action: 'check it answers' })
    }
  }

  async hostResources(): Promise<HostResources> {
    if (this.#host) return this.#host
    try {
      const info = (await this.#docker.info()) as { NCPU: number; MemTotal: number }
      this.#host = { cpus: info.NCPU, memoryBytes: info.MemTotal }
      return this.#host
    } catch (error) {
      throw engineFailure(error, { action: "ask for the host's CPUs and memory" })
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      const info = await this.#docker.getImage(image).inspect()
      return !foundByIdPrefix(image, info)
    } catch (error) {
      if (engineStatus(error) === 404) return false
      throw engineFailure(error, { action: `look up image ${image}` })
    }
  }

  async start(spec: SandboxSpec): Promise<{ containerId: string }> {
    const { instanceId, platform, ociRuntime } = this.#options
    const missing = { image: spec.image, platform }
    if (spec.restoreFrom && !this.#rootDir) throw noProcessCheckpoints()
    let command: string[] | undefined
    let egress: { name: string; gateway: string } | undefined
    try {
      if (spec.toolsVolume) await ensureVolume(this.#docker, spec.toolsVolume)
      if (spec.runImageCommand) command = await imageCommand(this.#docker, spec.image)
      if (spec.egress) egress = await this.egressNetwork.prepare()
    } catch (error) {
      throw engineFailure(error, { action: 'prepare the container', missing })
    }
    const storageBytes = await this.#disk.storageBytes(spec, platform)
    const config = containerConfig(spec, {
      ...(storageBytes !== undefined ? { storageBytes } : {}),
      instanceLabel: [INSTANCE_LABEL, instanceId],
      ociRuntime: ociRuntime ?? undefined,
      ...(command ? { imageCommand: command } : {}),
      ...(egress ? { egress } : {}),
    })
    let container: Docker.Container
    try {
      container = await this.#docker.createContainer({
        ...config,
        ...(platform ? { platform } : {}),
      })
    } catch (error) {
      const failure = engineFailure(error, {
        action: 'create the container',
        missing,
        // Settings checked before the engine is called should never get here; if some do, the
        // engine's own words are the best answer, and they are not a server or agent failure.
        refusal: "the engine refused the sandbox's settings",
      })
      const reason = (error as Error).message
      if (ociRuntime && failure.kind !== 'unavailable' && /runtime/i.test(reason)) {
        // Fail closed: never fall back to the default runtime when gVisor was asked for.
        throw new RuntimeError(
          'unavailable',
          `the Docker engine cannot run sandboxes under ${ociRuntime} (WM_RUNTIME): ${reason}`,
          { image: spec.image, ociRuntime },
          { cause: error },
        )
      }
      throw failure
    }
    try {
      if (spec.restoreFrom && this.#rootDir) {
        await placeCheckpoint(this.#rootDir, container.id, spec.restoreFrom)
        await startFromCheckpoint(container, this.#rootDir)
      } else {
        await container.start()
      }
    } catch (error) {
      // Leave nothing behind: a created-but-unstartable container is removed at once.
      await container.remove({ force: true }).catch(() => undefined)
      const failure = engineFailure(error, { action: 'start the container' })
      if (failure.kind === 'unavailable') throw failure
      // Whatever status the engine gives, a container that does not start is no fault of the spec.
      throw new RuntimeError('failed', failure.message, { image: spec.image }, { cause: error })
    }
    return { containerId: container.id }
  }

  async inspect(sandboxId: string): Promise<ContainerStatus | undefined> {
    try {
      const info = await this.#docker.getContainer(this.#containerName(sandboxId)).inspect()
      if (info.Config.Labels?.[INSTANCE_LABEL] !== this.#options.instanceId) return undefined
      return toStatus(sandboxId, info)
    } catch (error) {
      if (engineStatus(error) === 404) return undefined
      throw engineFailure(error, { action: 'inspect a container' })
    }
  }

  async stop(sandboxId: string, graceSeconds: number): Promise<void> {
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    const missing = { missing: { sandboxId } }
    try {
      const info = await container.inspect()
      if (info.Config.Labels?.[INSTANCE_LABEL] !== this.#options.instanceId) {
        throw new RuntimeError('not_found', `sandbox ${sandboxId} has no container`, { sandboxId })
      }
      // A frozen process cannot act on SIGTERM: thawed first, it gets its grace.
      if (info.State.Paused) await container.unpause()
    } catch (error) {
      if (error instanceof RuntimeError) throw error
      throw engineFailure(error, { action: 'stop the container', ...missing })
    }
    try {
      await container.stop({ t: graceSeconds })
    } catch (error) {
      // 304: already stopped.
      if (engineStatus(error) !== 304) {
        throw engineFailure(error, { action: 'stop the container', ...missing })
      }
    }
  }

  /** The socket the agent makes in the run directory (bind-mounted at /run/wm). */
  async agentEndpoint(_sandboxId: string, runHostDir: string): Promise<AgentEndpoint> {
    return { socketPath: path.join(runHostDir, 'agent.sock') }
  }

  async startExisting(sandboxId: string): Promise<void> {
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    try {
      const info = await container.inspect()
      if (info.Config.Labels?.[INSTANCE_LABEL] !== this.#options.instanceId) {
        throw new RuntimeError('not_found', `sandbox ${sandboxId} has no container`, { sandboxId })
      }
      await container.start()
    } catch (error) {
      if (error instanceof RuntimeError) throw error
      // 304: already running.
      if (engineStatus(error) === 304) return
      throw engineFailure(error, { action: 'start the container again', missing: { sandboxId } })
    }
  }

  async remove(sandboxId: string, graceSeconds: number): Promise<void> {
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    try {
      if (graceSeconds > 0) await container.stop({ t: graceSeconds })
    } catch (error) {
      const status = engineStatus(error)
      // 304: already stopped; 404: already gone. Both are fine.
      if (status !== 304 && status !== 404) {
        throw engineFailure(error, { action: 'stop a container' })
      }
    }
    try {
      await container.remove({ force: true, v: true })
    } catch (error) {
      const status = engineStatus(error)
      // 409 "removal already in progress" means another caller is finishing the job.
      if (status !== 404 && status !== 409) {
        throw engineFailure(error, { action: 'remove a container' })
      }
    }
  }

  async listManaged(): Promise<ContainerStatus[]> {
    try {
      const containers = await this.#docker.listContainers({
        all: true,
        filters: {
          label: [`${LABELS.managed}=1`, `${INSTANCE_LABEL}=${this.#options.instanceId}`],
        },
      })
      return containers.map((summary) => ({
        sandboxId: summary.Labels[LABELS.sandbox] ?? '',
        containerId: summary.Id,
        running: summary.State === 'running' || summary.State === 'paused',
        exitCode: null,
        oomKilled: false,
        error: null,
      }))
    } catch (error) {
      throw engineFailure(error, { action: 'list containers' })
    }
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    const labels = [`${LABELS.managed}=1`, `${INSTANCE_LABEL}=${this.#options.instanceId}`]
    return watchEngine(this.#docker, labels, listener)
  }

  async pause(sandboxId: string): Promise<void> {
    try {
      await this.#docker.getContainer(this.#containerName(sandboxId)).pause()
    } catch (error) {
      throw engineFailure(error, { action: 'pause the container', missing: { sandboxId } })
    }
  }

  async unpause(sandboxId: string): Promise<void> {
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    try {
      await container.unpause()
    } catch (error) {
      // The engine answers 500 for a container that is not paused, 409 for one that is not
      // running, 404 for one that is gone: whichever, nothing is frozen, which is all that counts.
      const frozen = await container.inspect().then(
        (info) => info.State.Paused,
        (lookup: unknown) => (engineStatus(lookup) === 404 ? false : undefined),
      )
      if (frozen !== false) throw engineFailure(error, { action: 'unpause the container' })
    }
  }

  async commit(sandboxId: string, image: string, labels: Record<string, string>): Promise<void> {
    try {
      await commitContainer(this.#docker, this.#containerName(sandboxId), image, {
        ...labels,
        [INSTANCE_LABEL]: this.#options.instanceId,
      })
    } catch (error) {
      throw engineFailure(error, { action: 'commit the container', missing: { sandboxId } })
    }
  }

  async removeImage(image: string): Promise<void> {
    await removeImage(this.#docker, image)
  }

  async listImages(key: string): Promise<Array<{ id: string; value: string; createdAt: number }>> {
    return listInstanceImages(this.#docker, key, `${INSTANCE_LABEL}=${this.#options.instanceId}`)
  }

  #containerName(sandboxId: string): string {
    return `${this.#options.containerPrefix}${sandboxId}`
  }
}

/** Only reached by a caller that did not look at `capabilities.processCheckpoints` first. */
function noProcessCheckpoints(): RuntimeError {
  return new RuntimeError('invalid', 'process checkpoints are not available on this engine')
}
