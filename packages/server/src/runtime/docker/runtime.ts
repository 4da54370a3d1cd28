import type Docker from 'dockerode'
import type { FastifyBaseLogger } from 'fastify'
import { ApiError } from '../../errors.js'
import {
  LABELS,
  type ContainerStatus,
  type HostResources,
  type RuntimeCapabilities,
  type RuntimeEvent,
  type SandboxRuntime,
  type SandboxSpec,
} from '../types.js'
import { containerConfig } from './container-config.js'
import { engineStatus, isUnreachable } from './connection.js'
import { commitContainer, ensureVolume, imageCommand } from './images.js'
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

/** Turns an engine failure into an API error: unreachable engine is 503 code 1006. */
function engineError(error: unknown, doing: string): never {
  if (error instanceof ApiError) throw error
  if (isUnreachable(error)) {
    throw new ApiError(
      'RUNTIME_UNAVAILABLE',
      `Docker engine unavailable while ${doing}: ${(error as Error).message}`,
    )
  }
  throw error
}

/** 404 code 2003; with DOCKER_PLATFORM set the engine also answers 404 for another platform's image. */
function missingTemplate(image: string, platform: string | null): ApiError {
  const forPlatform = platform ? ` for platform ${platform} (DOCKER_PLATFORM)` : ''
  return new ApiError('TEMPLATE_NOT_FOUND', `template ${image} not found${forPlatform}`, {
    template: image,
    ...(platform ? { platform } : {}),
  })
}

function toStatus(sandboxId: string, info: Docker.ContainerInspectInfo): ContainerStatus {
  return {
    sandboxId,
    containerId: info.Id,
    running: info.State.Running,
    exitCode: info.State.Running ? null : info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    error: info.State.Error || null,
  }
}

/** Sandboxes as Docker containers, through dockerode: the only module that imports it. */
export class DockerRuntime implements SandboxRuntime {
  readonly name = 'docker'
  readonly capabilities: RuntimeCapabilities = { processCheckpoints: false, networkless: false }
  readonly #docker: Docker
  readonly #options: DockerRuntimeOptions
  /** Docker's data root, known once `probe` found process checkpoints work. */
  #rootDir: string | null = null
  /** The host's size, once the engine told it (it does not change while the engine runs). */
  #host: HostResources | null = null

  constructor(options: DockerRuntimeOptions) {
    this.#options = options
    this.#docker = options.docker
  }

  async probe(): Promise<void> {
    const { ociRuntime, log } = this.#options
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
    if (!this.capabilities.processCheckpoints || !this.#rootDir) {
      throw new Error('process checkpoints are not available on this engine')
    }
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    try {
      await checkpointContainer(container, this.#rootDir, destDir)
    } catch (error) {
      engineError(error, 'checkpointing a container')
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#docker.ping()
    } catch (error) {
      engineError(error, 'checking it answers')
    }
  }

  async hostResources(): Promise<HostResources> {
    if (this.#host) return this.#host
    try {
      const info = (await this.#docker.info()) as { NCPU: number; MemTotal: number }
      this.#host = { cpus: info.NCPU, memoryBytes: info.MemTotal }
      return this.#host
    } catch (error) {
      engineError(error, "asking for the host's CPUs and memory")
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.#docker.getImage(image).inspect()
      return true
    } catch (error) {
      if (engineStatus(error) === 404) return false
      engineError(error, `looking up image ${image}`)
    }
  }

  async start(spec: SandboxSpec): Promise<{ containerId: string }> {
    const { instanceId, platform, ociRuntime } = this.#options
    let command: string[] | undefined
    try {
      if (spec.toolsVolume) await ensureVolume(this.#docker, spec.toolsVolume)
      if (spec.runImageCommand) command = await imageCommand(this.#docker, spec.image)
    } catch (error) {
      if (engineStatus(error) === 404) throw missingTemplate(spec.image, platform)
      engineError(error, 'preparing the container')
    }
    const config = containerConfig(spec, {
      instanceLabel: [INSTANCE_LABEL, instanceId],
      ociRuntime: ociRuntime ?? undefined,
      ...(command ? { imageCommand: command } : {}),
    })
    let container: Docker.Container
    try {
      container = await this.#docker.createContainer({
        ...config,
        ...(platform ? { platform } : {}),
      })
    } catch (error) {
      if (engineStatus(error) === 404) throw missingTemplate(spec.image, platform)
      if (ociRuntime && /runtime/i.test((error as Error).message)) {
        // Fail closed: never fall back to the default runtime when gVisor was asked for.
        throw new ApiError(
          'RUNTIME_UNAVAILABLE',
          `the Docker engine cannot run sandboxes under ${ociRuntime} (WM_RUNTIME): ${(error as Error).message}`,
        )
      }
      if (engineStatus(error) === 400) {
        // Settings checked before the engine is called should never get here; if some do, the
        // engine's own words are the best answer, and they are not a server or agent failure.
        throw new ApiError(
          'VALIDATION',
          `the engine refused the sandbox's settings: ${(error as Error).message.trim()}`,
          { template: spec.image },
        )
      }
      engineError(error, 'creating the container')
    }
    try {
      if (spec.restoreFrom) {
        if (!this.#rootDir) throw new Error('process checkpoints are not available on this engine')
        await placeCheckpoint(this.#rootDir, container.id, spec.restoreFrom)
        await startFromCheckpoint(container, this.#rootDir)
      } else {
        await container.start()
      }
    } catch (error) {
      // Leave nothing behind: a created-but-unstartable container is removed at once.
      await container.remove({ force: true }).catch(() => undefined)
      if (isUnreachable(error)) engineError(error, 'starting the container')
      throw new ApiError(
        'INTERNAL',
        `the engine could not start the container: ${(error as Error).message.trim()}`,
        {
          template: spec.image,
        },
      )
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
      engineError(error, 'inspecting a container')
    }
  }

  async remove(sandboxId: string, graceSeconds: number): Promise<void> {
    const container = this.#docker.getContainer(this.#containerName(sandboxId))
    try {
      if (graceSeconds > 0) await container.stop({ t: graceSeconds })
    } catch (error) {
      const status = engineStatus(error)
      // 304: already stopped; 404: already gone. Both are fine.
      if (status !== 304 && status !== 404) engineError(error, 'stopping a container')
    }
    try {
      await container.remove({ force: true, v: true })
    } catch (error) {
      const status = engineStatus(error)
      // 409 "removal already in progress" means another caller is finishing the job.
      if (status !== 404 && status !== 409) engineError(error, 'removing a container')
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
        running: summary.State === 'running',
        exitCode: null,
        oomKilled: false,
        error: null,
      }))
    } catch (error) {
      engineError(error, 'listing containers')
    }
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    let stopped = false
    let current: NodeJS.ReadableStream | undefined
    const filters = {
      type: ['container' as const],
      event: ['die', 'oom'],
      label: [`${LABELS.managed}=1`, `${INSTANCE_LABEL}=${this.#options.instanceId}`],
    }
    const connect = () => {
      if (stopped) return
      this.#docker.getEvents({ filters }).then(
        (stream) => {
          current = stream
          let buffered = ''
          stream.on('data', (chunk: Buffer) => {
            buffered += chunk.toString('utf8')
            let newline: number
            while ((newline = buffered.indexOf('\n')) !== -1) {
              const line = buffered.slice(0, newline)
              buffered = buffered.slice(newline + 1)
              const event = parseEvent(line)
              if (event) listener(event)
            }
          })
          stream.on('close', () => setTimeout(connect, 1000).unref())
          stream.on('error', () => undefined)
        },
        () => setTimeout(connect, 1000).unref(),
      )
    }
    connect()
    return () => {
      stopped = true
      ;(current as unknown as { destroy?: () => void } | undefined)?.destroy?.()
    }
  }

  async pause(sandboxId: string): Promise<void> {
    try {
      await this.#docker.getContainer(this.#containerName(sandboxId)).pause()
    } catch (error) {
      engineError(error, 'pausing a container')
    }
  }

  async unpause(sandboxId: string): Promise<void> {
    try {
      await this.#docker.getContainer(this.#containerName(sandboxId)).unpause()
    } catch (error) {
      // 409: not paused (any more). 404: gone. Either way nothing is frozen.
      const status = engineStatus(error)
      if (status !== 409 && status !== 404) engineError(error, 'unpausing a container')
    }
  }

  async commit(sandboxId: string, image: string, labels: Record<string, string>): Promise<void> {
    try {
      await commitContainer(this.#docker, this.#containerName(sandboxId), image, {
        ...labels,
        [INSTANCE_LABEL]: this.#options.instanceId,
      })
    } catch (error) {
      engineError(error, 'committing a container')
    }
  }

  async removeImage(image: string): Promise<void> {
    try {
      // force: an image a running container uses is untagged and goes with that container.
      await this.#docker.getImage(image).remove({ force: true })
    } catch (error) {
      const status = engineStatus(error)
      if (status !== 404 && status !== 409) engineError(error, 'removing an image')
    }
  }

  async listImages(key: string): Promise<Array<{ id: string; value: string }>> {
    try {
      const images = await this.#docker.listImages({
        filters: { label: [key, `${INSTANCE_LABEL}=${this.#options.instanceId}`] },
      })
      return images.map((image) => ({ id: image.Id, value: image.Labels?.[key] ?? '' }))
    } catch (error) {
      engineError(error, 'listing images')
    }
  }

  #containerName(sandboxId: string): string {
    return `${this.#options.containerPrefix}${sandboxId}`
  }
}

function parseEvent(line: string): RuntimeEvent | undefined {
  try {
    const raw = JSON.parse(line) as {
      Action?: string
      Actor?: { Attributes?: Record<string, string> }
    }
    const sandboxId = raw.Actor?.Attributes?.[LABELS.sandbox]
    if (!sandboxId) return undefined
    if (raw.Action === 'oom') return { type: 'oom', sandboxId, exitCode: null }
    if (raw.Action === 'die') {
      const exitCode = Number(raw.Actor?.Attributes?.exitCode ?? NaN)
      return { type: 'exited', sandboxId, exitCode: Number.isNaN(exitCode) ? null : exitCode }
    }
  } catch {
    // A partial or foreign line: ignore it.
  }
  return undefined
}
