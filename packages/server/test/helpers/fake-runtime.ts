import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { RuntimeError, type RuntimeErrorKind } from '../../src/runtime/errors.js'
import type {
  AgentEndpoint,
  ContainerStatus,
  HostResources,
  RuntimeCapabilities,
  RuntimeEvent,
  SandboxRuntime,
  SandboxSpec,
} from '../../src/runtime/types.js'
import { FakeEngine, type FakeContainer, type FakeImage } from './fake-engine.js'

export { FakeEngine }

/*
 * Lives under test/, not src/: only the runtime factory (src/runtime/index.ts)
 * chooses a backend, and it must never be able to choose one that runs
 * nothing. Test code hands a FakeRuntime to buildApp through `deps.runtime`.
 */

/** What the fake writes where `checkpointProcesses` saves a sandbox. */
const SAVED_PROCESSES = 'fake-processes.json'

/** Options of a FakeRuntime. */
export interface FakeRuntimeOptions {
  /** The engine it shares with other runtimes; a fresh one by default. */
  engine?: FakeEngine
  instanceId?: string
  containerPrefix?: string
  capabilities?: Partial<RuntimeCapabilities>
  /** Called once a container runs (`start`, `startExisting`), e.g. to have an agent answer for it. */
  onStart?: (spec: SandboxSpec) => void | Promise<void>
  /** Called once a container's main process has ended (stop, kill, removal), e.g. to end that agent. */
  onExit?: (sandboxId: string) => void
}

/**
 * An in-memory SandboxRuntime with the observable behaviour of the Docker
 * one (the same contract suite pins both), for fast tests of what the
 * services do with containers. Nothing runs: containers are records, and
 * tests end them through the engine's hooks (`kill`, `removeBehindBack`).
 */
export class FakeRuntime implements SandboxRuntime {
  readonly name = 'fake'
  readonly capabilities: RuntimeCapabilities
  readonly engine: FakeEngine
  readonly instanceId: string
  readonly #prefix: string
  readonly #onStart: FakeRuntimeOptions['onStart']
  readonly #onExit: FakeRuntimeOptions['onExit']

  constructor(options: FakeRuntimeOptions = {}) {
    this.engine = options.engine ?? new FakeEngine()
    this.instanceId = options.instanceId ?? randomBytes(8).toString('hex')
    this.#prefix = options.containerPrefix ?? 'wm_ws_'
    this.#onStart = options.onStart
    this.#onExit = options.onExit
    this.capabilities = {
      processCheckpoints: false,
      networkless: false,
      filesystemCheckpoints: true,
      diskLimit: true,
      ...options.capabilities,
    }
  }

  /** Test hook: the sandbox's main process dies (exit code 137 unless told). */
  kill(sandboxId: string, exitCode = 137, options: { oom?: boolean } = {}): void {
    this.engine.kill(this.#name(sandboxId), exitCode, options)
    this.#onExit?.(sandboxId)
  }

  /** Test hook: the sandbox's container is removed by someone else. */
  removeBehindBack(sandboxId: string): void {
    this.engine.destroy(this.#name(sandboxId))
    this.#onExit?.(sandboxId)
  }

  /** Test hook: whether the sandbox's container is paused. */
  isPaused(sandboxId: string): boolean {
    return this.engine.containers.get(this.#name(sandboxId))?.state === 'paused'
  }

  async ping(): Promise<void> {
    this.engine.answer('check it answers')
  }

  async probe(): Promise<void> {
    // The capabilities are the ones the fake was made with.
  }

  async hostResources(): Promise<HostResources> {
    this.engine.answer("ask for the host's CPUs and memory")
    return this.engine.host
  }

  async imageExists(image: string): Promise<boolean> {
    this.engine.answer(`look up image ${image}`)
    return this.#image(image) !== undefined
  }

  async start(spec: SandboxSpec): Promise<{ containerId: string }> {
    const { engine } = this
    engine.answer('create the container')
    const injected = engine.takeStartFailure()
    if (injected) throw injected
    if (spec.restoreFrom && !this.capabilities.processCheckpoints) {
      throw new RuntimeError('invalid', 'process checkpoints are not available on this engine')
    }
    if (!this.#image(spec.image)) {
      throw new RuntimeError('image_not_found', `image ${spec.image} not found`, {
        image: spec.image,
      })
    }
    const name = this.#name(spec.sandboxId)
    if (engine.containers.has(name)) {
      throw failure('conflict', `the container name "/${name}" is already in use`, spec)
    }
    // What Docker refuses at create, so that the services meet the same refusals.
    if (spec.nanoCpus > engine.host.cpus * 1e9) {
      throw failure(
        'invalid',
        `the engine refused the sandbox's settings: range of CPUs is from 0.01 to ${engine.host.cpus}.00, as there are only ${engine.host.cpus} CPUs available`,
        spec,
      )
    }
    if (spec.memoryBytes > 0 && spec.memoryBytes < 6 * 1024 ** 2) {
      throw failure(
        'invalid',
        "the engine refused the sandbox's settings: minimum memory limit allowed is 6MB",
        spec,
      )
    }
    if (spec.restoreFrom) {
      const saved = path.join(spec.restoreFrom, SAVED_PROCESSES)
      await fs.access(saved).catch(() => {
        throw failure('failed', `the engine could not start the container: no ${saved}`, spec)
      })
    }
    const containerId = randomBytes(32).toString('hex')
    engine.containers.set(name, {
      sandboxId: spec.sandboxId,
      instanceId: this.instanceId,
      containerId,
      state: 'running',
      exitCode: null,
      oomKilled: false,
      spec,
    })
    await this.#onStart?.(spec)
    return { containerId }
  }

  async inspect(sandboxId: string): Promise<ContainerStatus | undefined> {
    this.engine.answer('inspect a container')
    const container = this.#own(sandboxId)
    return container && toStatus(container)
  }

  /** The socket a fake agent makes in the run directory, as the Docker runtime's agent does. */
  async agentEndpoint(_sandboxId: string, runHostDir: string): Promise<AgentEndpoint> {
    return { socketPath: path.join(runHostDir, 'agent.sock') }
  }

  async remove(sandboxId: string, _graceSeconds: number): Promise<void> {
    this.engine.answer('remove a container')
    this.engine.destroy(this.#name(sandboxId))
    this.#onExit?.(sandboxId)
  }

  async stop(sandboxId: string, _graceSeconds: number): Promise<void> {
    this.engine.answer('stop the container')
    const container = this.#requireOwn(sandboxId, 'stop the container')
    if (container.state === 'exited') return
    // Thawed, the agent ends on SIGTERM (exit code 0, as the real one does).
    container.state = 'running'
    this.engine.kill(this.#name(sandboxId), 0)
    this.#onExit?.(sandboxId)
  }

  async startExisting(sandboxId: string): Promise<void> {
    this.engine.answer('start the container again')
    const container = this.#requireOwn(sandboxId, 'start the container again')
    if (container.state !== 'exited') return
    const injected = this.engine.takeStartFailure()
    if (injected) throw injected
    container.state = 'running'
    container.exitCode = null
    container.oomKilled = false
    await this.#onStart?.(container.spec)
  }

  async listManaged(): Promise<ContainerStatus[]> {
    this.engine.answer('list containers')
    return [...this.engine.containers.values()]
      .filter((container) => container.instanceId === this.instanceId)
      .map(toStatus)
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    return this.engine.listen(this.instanceId, listener)
  }

  async pause(sandboxId: string): Promise<void> {
    this.engine.answer('pause the container')
    const container = this.#require(sandboxId, 'pause the container')
    if (container.state !== 'running') {
      const why = container.state === 'paused' ? 'is already paused' : 'is not running'
      throw failure(
        'conflict',
        `the engine could not pause the container: it ${why}`,
        container.spec,
      )
    }
    container.state = 'paused'
  }

  async unpause(sandboxId: string): Promise<void> {
    this.engine.answer('unpause the container')
    const container = this.engine.containers.get(this.#name(sandboxId))
    if (container?.state === 'paused') container.state = 'running'
  }

  async commit(sandboxId: string, image: string, labels: Record<string, string>): Promise<void> {
    this.engine.answer('commit the container')
    this.#require(sandboxId, 'commit the container')
    this.engine.addImage(image, { ...labels, 'wm.instance': this.instanceId })
  }

  async removeImage(image: string): Promise<void> {
    this.engine.answer(`remove image ${image}`)
    for (const [name, entry] of this.engine.images) {
      if (name === image || entry.id === image) this.engine.images.delete(name)
    }
  }

  async listImages(key: string): Promise<Array<{ id: string; value: string; createdAt: number }>> {
    this.engine.answer('list images')
    return [...this.engine.images.values()]
      .filter((image) => key in image.labels && image.labels['wm.instance'] === this.instanceId)
      .map((image) => ({
        id: image.id,
        value: image.labels[key] ?? '',
        createdAt: image.createdAt,
      }))
  }

  async checkpointProcesses(sandboxId: string, destDir: string): Promise<void> {
    if (!this.capabilities.processCheckpoints) {
      throw new RuntimeError('invalid', 'process checkpoints are not available on this engine')
    }
    this.engine.answer('checkpoint the container')
    const container = this.#require(sandboxId, 'checkpoint the container')
    await fs.mkdir(destDir, { recursive: true })
    await fs.writeFile(path.join(destDir, SAVED_PROCESSES), JSON.stringify({ sandboxId }))
    // Like runsc, the checkpointed container stops and cannot run again.
    this.engine.kill(this.#name(container.sandboxId), 0)
    this.#onExit?.(container.sandboxId)
  }

  #name(sandboxId: string): string {
    return `${this.#prefix}${sandboxId}`
  }

  #own(sandboxId: string): FakeContainer | undefined {
    const container = this.engine.containers.get(this.#name(sandboxId))
    return container?.instanceId === this.instanceId ? container : undefined
  }

  #requireOwn(sandboxId: string, action: string): FakeContainer {
    const container = this.#own(sandboxId)
    if (!container) {
      throw new RuntimeError(
        'not_found',
        `sandbox ${sandboxId} has no container (could not ${action})`,
        {
          sandboxId,
        },
      )
    }
    return container
  }

  #require(sandboxId: string, action: string): FakeContainer {
    const container = this.engine.containers.get(this.#name(sandboxId))
    if (!container) {
      throw new RuntimeError(
        'not_found',
        `sandbox ${sandboxId} has no container (could not ${action})`,
        { sandboxId },
      )
    }
    return container
  }

  #image(image: string): FakeImage | undefined {
    return (
      this.engine.images.get(image) ??
      [...this.engine.images.values()].find((entry) => entry.id === image)
    )
  }
}

function failure(kind: RuntimeErrorKind, message: string, spec: SandboxSpec): RuntimeError {
  return new RuntimeError(kind, message, { image: spec.image })
}

function toStatus(container: FakeContainer): ContainerStatus {
  const running = container.state !== 'exited'
  return {
    sandboxId: container.sandboxId,
    containerId: container.containerId,
    running,
    exitCode: running ? null : container.exitCode,
    oomKilled: container.oomKilled,
    error: null,
  }
}
