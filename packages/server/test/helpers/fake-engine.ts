import { randomBytes } from 'node:crypto'
import { RuntimeError } from '../../src/runtime/errors.js'
import type { HostResources, RuntimeEvent, SandboxSpec } from '../../src/runtime/types.js'

/** A container as the fake engine keeps it. */
export interface FakeContainer {
  sandboxId: string
  instanceId: string
  containerId: string
  state: 'running' | 'paused' | 'exited'
  exitCode: number | null
  oomKilled: boolean
  spec: SandboxSpec
}

/** An image as the fake engine keeps it. */
export interface FakeImage {
  id: string
  labels: Record<string, string>
  createdAt: number
}

/**
 * One in-memory engine that several FakeRuntimes share, as servers share a
 * Docker engine: containers are named by prefix and sandbox id, and each
 * runtime sees only those of its instance.
 */
export class FakeEngine {
  /** Whether the engine answers; false makes every call fail with `unavailable`. */
  available = true
  readonly host: HostResources
  readonly containers = new Map<string, FakeContainer>()
  readonly images = new Map<string, FakeImage>()
  readonly #listeners = new Set<{ instanceId: string; listener: (e: RuntimeEvent) => void }>()
  readonly #startFailures: RuntimeError[] = []

  constructor(options: { images?: string[]; host?: HostResources } = {}) {
    this.host = options.host ?? { cpus: 2, memoryBytes: 4 * 1024 ** 3 }
    for (const image of options.images ?? []) this.addImage(image)
  }

  /** Makes `image` exist, as a template would. */
  addImage(image: string, labels: Record<string, string> = {}): void {
    this.images.set(image, {
      id: `sha256:${randomBytes(32).toString('hex')}`,
      labels,
      // To the second, as the engine says it.
      createdAt: Math.floor(Date.now() / 1000) * 1000,
    })
  }

  /** The next `start` or `startExisting` fails with `error` (default: `failed`), changing nothing. */
  failNextStart(error = new RuntimeError('failed', 'the fake engine could not start it')): void {
    this.#startFailures.push(error)
  }

  /** Throws `unavailable` when the engine is down; every call begins with it. */
  answer(action: string): void {
    if (!this.available) {
      throw new RuntimeError('unavailable', `fake engine unavailable, could not ${action}`)
    }
  }

  /** The injected failure of the next start, if any. */
  takeStartFailure(): RuntimeError | undefined {
    return this.#startFailures.shift()
  }

  /** Ends the main process of a container, as a crash or `docker kill` would. */
  kill(name: string, exitCode = 137, options: { oom?: boolean } = {}): void {
    const container = this.containers.get(name)
    if (!container || container.state === 'exited') return
    if (options.oom)
      this.emit(container, { type: 'oom', sandboxId: container.sandboxId, exitCode: null })
    container.state = 'exited'
    container.exitCode = exitCode
    container.oomKilled = options.oom ?? false
    this.emit(container, { type: 'exited', sandboxId: container.sandboxId, exitCode })
  }

  /** Removes a container, killing it first when it runs, as `docker rm -f` does. */
  destroy(name: string): void {
    this.kill(name)
    this.containers.delete(name)
  }

  /** Delivers `event` to the watchers of the container's instance, after the current call. */
  emit(container: FakeContainer, event: RuntimeEvent): void {
    for (const { instanceId, listener } of this.#listeners) {
      if (instanceId === container.instanceId) setImmediate(() => listener(event))
    }
  }

  /** Registers a watcher of one instance's events. */
  listen(instanceId: string, listener: (e: RuntimeEvent) => void): () => void {
    const entry = { instanceId, listener }
    this.#listeners.add(entry)
    return () => this.#listeners.delete(entry)
  }
}
