import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import { ApiError } from '../../errors.js'
import type { Config } from '../../config/index.js'
import type { MetadataStore, SandboxRecord, SandboxUpdate } from '../../store/index.js'
import type { SandboxRuntime } from '../../runtime/types.js'
import { RuntimeError } from '../../runtime/errors.js'
import { RUN_FILES, waitForAgentReady, waitForRunFile } from '../agent-ready.js'
import type { SandboxContainers } from './containers.js'

/** What the transitions need. */
export interface TransitionsOptions {
  config: Config
  store: MetadataStore
  runtime: SandboxRuntime
  containers: SandboxContainers
  log: FastifyBaseLogger
  /** Current time in ms (the injected clock). */
  now: () => number
}

/** 409 code 2002 for a sandbox not in a state the operation can start from. */
export function notRunning(record: SandboxRecord, why = 'not running'): ApiError {
  return new ApiError('SANDBOX_NOT_RUNNING', `sandbox ${record.id} is ${record.state}, ${why}`, {
    id: record.id,
    state: record.state,
    ...(record.errorMessage ? { error_message: record.errorMessage } : {}),
  })
}

/** A launch failure as the API tells it: runtime kinds keep theirs, the rest is the agent's. */
function launchFailure(error: unknown, message: string, image: string): Error {
  if (error instanceof ApiError || error instanceof RuntimeError) return error
  return new ApiError('AGENT_NOT_CONNECTED', message, { template: image })
}

/**
 * Every change of a sandbox's observed state, carried out against the
 * engine. These do not queue: only the lifecycle controller calls them,
 * each inside the sandbox's turn, so no two ever run on one sandbox at once.
 */
export class SandboxTransitions {
  readonly #options: TransitionsOptions
  readonly #forgetListeners: Array<(id: string) => void> = []

  constructor(options: TransitionsOptions) {
    this.#options = options
  }

  /** Calls `listener` with the id of every sandbox whose row is deleted. */
  onForget(listener: (id: string) => void): void {
    this.#forgetListeners.push(listener)
  }

  /** The row of a sandbox; 404 code 2001 when there is none. */
  async require(id: string): Promise<SandboxRecord> {
    const record = await this.#options.store.getSandbox(id)
    if (!record) throw new ApiError('SANDBOX_NOT_FOUND', `sandbox ${id} not found`, { id })
    return record
  }

  /** Writes `update`; the row is there (the sandbox's turn is held, and only delete removes it). */
  async write(id: string, update: SandboxUpdate): Promise<SandboxRecord> {
    const row = await this.#options.store.updateSandbox(id, update)
    if (!row) throw new ApiError('SANDBOX_NOT_FOUND', `sandbox ${id} not found`, { id })
    return row
  }

  /** First start of a new sandbox; on failure nothing is kept, the row neither. */
  async boot(record: SandboxRecord): Promise<SandboxRecord> {
    try {
      await this.#options.containers.launch(record, record.template)
    } catch (error) {
      await this.#options.runtime.remove(record.id, 0).catch(() => undefined)
      await this.forget(record.id)
      const message = `sandbox could not start: ${(error as Error).message}`
      throw launchFailure(error, message, record.template)
    }
    return this.write(record.id, { state: 'running', operation: null })
  }

  /**
   * First start of a new sandbox from the warm pool: the pooled container
   * `record.id` is claimed (workspace attached, env given per process). When
   * it cannot be, it is removed and the sandbox booted afresh instead.
   */
  async claim(record: SandboxRecord): Promise<SandboxRecord> {
    const { containers, runtime, log } = this.#options
    try {
      await containers.claim(record)
    } catch (error) {
      log.warn({ err: error, sandboxId: record.id }, 'a pooled sandbox could not be claimed')
      containers.closeAgent(record.id)
      await runtime.remove(record.id, 0).catch(() => undefined)
      return this.boot(record)
    }
    return this.write(record.id, { state: 'running', operation: null })
  }

  /** running|paused|error (with a container) -> stopped; the container and its filesystem stay. */
  async stop(record: SandboxRecord): Promise<SandboxRecord> {
    if (record.state === 'stopped') return this.write(record.id, { desiredState: 'stopped' })
    const { runtime, containers, config } = this.#options
    if (!(await runtime.inspect(record.id))) {
      throw notRunning(record, 'and has no container left to stop')
    }
    await this.write(record.id, { desiredState: 'stopped', state: 'stopping', operation: 'stop' })
    containers.closeAgent(record.id)
    try {
      await runtime.stop(record.id, config.sandboxDefaults.stopTimeoutSeconds)
    } catch (error) {
      // Left as it was; the desired state stays, and the reconciler tries again.
      await this.write(record.id, { state: record.state, operation: null })
      throw error
    }
    return this.write(record.id, { state: 'stopped', operation: null, errorMessage: null })
  }

  /**
   * stopped|error -> running: the same container started again (its root
   * filesystem as it was), or, when it is gone, a new one from the
   * sandbox's image. A paused sandbox is resumed; a running one is left.
   */
  async start(record: SandboxRecord): Promise<SandboxRecord> {
    if (record.state === 'running') return this.write(record.id, { desiredState: 'running' })
    if (record.state === 'paused') return this.resume(record)
    const { runtime, containers } = this.#options
    const image = record.image ?? record.template
    const container = await runtime.inspect(record.id)
    if (!container && !(await runtime.imageExists(image))) {
      throw new ApiError(
        'TEMPLATE_NOT_FOUND',
        `sandbox ${record.id} has no container, and its image ${image} is gone: it cannot be started`,
        { template: image },
      )
    }
    await this.write(record.id, {
      desiredState: 'running',
      state: 'starting',
      operation: 'start',
      errorMessage: null,
      expiresAt: this.#renewedExpiry(record),
    })
    try {
      // A failed sandbox's container that still runs (its stop failed) is started afresh.
      if (container?.running) await runtime.stop(record.id, 0)
      if (container) await containers.startAgain(record)
      else await containers.launch(record, image)
    } catch (error) {
      const message = `sandbox could not be started: ${(error as Error).message}`
      await this.fail(record.id, message)
      throw launchFailure(error, message, image)
    }
    return this.write(record.id, { state: 'running', operation: null })
  }

  /** running -> paused (every process frozen, memory kept). */
  async pause(record: SandboxRecord): Promise<SandboxRecord> {
    if (record.state === 'paused') return this.write(record.id, { desiredState: 'paused' })
    if (record.state !== 'running')
      throw notRunning(record, 'not running: only a running sandbox can be paused')
    await this.write(record.id, { desiredState: 'paused', state: 'pausing', operation: 'pause' })
    try {
      await this.#options.runtime.pause(record.id)
    } catch (error) {
      await this.write(record.id, { state: 'running', operation: null })
      throw error
    }
    return this.write(record.id, { state: 'paused', operation: null })
  }

  /** paused -> running; stopped or failed -> started. */
  async resume(record: SandboxRecord): Promise<SandboxRecord> {
    if (record.state === 'running') return this.write(record.id, { desiredState: 'running' })
    if (record.state !== 'paused') return this.start(record)
    await this.write(record.id, {
      desiredState: 'running',
      state: 'resuming',
      operation: 'resume',
      expiresAt: this.#renewedExpiry(record),
    })
    try {
      await this.#options.runtime.unpause(record.id)
    } catch (error) {
      await this.write(record.id, { state: 'paused', operation: null })
      throw error
    }
    return this.write(record.id, { state: 'running', operation: null })
  }

  /** Stops and removes the container, then the row; `force` skips the grace period. */
  async delete(record: SandboxRecord, force: boolean): Promise<void> {
    const { runtime, config } = this.#options
    await this.write(record.id, { desiredState: 'deleted', state: 'stopping', operation: 'delete' })
    this.#options.containers.closeAgent(record.id)
    try {
      await runtime.remove(record.id, force ? 0 : config.sandboxDefaults.stopTimeoutSeconds)
    } catch (error) {
      const state = record.state === 'stopping' ? 'error' : record.state
      await this.write(record.id, { state, desiredState: record.desiredState, operation: null })
      throw error
    }
    await this.forget(record.id)
  }

  /**
   * Marks a sandbox failed, saying why. Its container is stopped and kept
   * (so `start` can bring it back), or removed with `removeContainer`.
   */
  async fail(
    id: string,
    message: string,
    options: { removeContainer?: boolean } = {},
  ): Promise<void> {
    const { runtime, containers, log } = this.#options
    log.warn({ sandboxId: id, reason: message }, 'sandbox failed')
    await this.#options.store.updateSandbox(id, {
      state: 'error',
      errorMessage: message,
      operation: null,
    })
    containers.closeAgent(id)
    const done = options.removeContainer ? runtime.remove(id, 0) : runtime.stop(id, 0)
    await done.catch((error: unknown) => {
      if (error instanceof RuntimeError && error.kind === 'not_found') return
      log.warn({ err: error, sandboxId: id }, 'could not stop the container of a failed sandbox')
    })
  }

  /**
   * Replaces a sandbox's container, keeping its id, row and spec: the
   * current one is removed, `prepare` runs while none runs, and a new one is
   * started from `image`. On failure the sandbox is left in error, saying why.
   */
  async replaceContainer(
    record: SandboxRecord,
    image: string,
    prepare: () => Promise<void>,
    options: { restoreFrom?: string } = {},
  ): Promise<SandboxRecord> {
    const { runtime, containers, config } = this.#options
    await this.write(record.id, { state: 'starting', operation: 'replace', errorMessage: null })
    containers.closeAgent(record.id)
    try {
      await runtime.remove(record.id, config.sandboxDefaults.stopTimeoutSeconds)
      await prepare()
      await containers.launch(record, image, options.restoreFrom)
    } catch (error) {
      const message = `sandbox could not be restarted: ${(error as Error).message}`
      await this.fail(record.id, message)
      throw launchFailure(error, message, image)
    }
    // Recovery makes a vanished container again from the image it was last made from.
    const madeFrom = image === record.template ? null : image
    return this.write(record.id, { state: 'running', operation: null, image: madeFrom })
  }

  /**
   * Has the agent of a running sandbox let go of its socket, as runsc needs
   * to save the sandbox. Back with `resumeInPlace` or `replaceContainer`.
   */
  async suspend(record: SandboxRecord): Promise<void> {
    if (record.state !== 'running') throw notRunning(record)
    const { containers } = this.#options
    const agent = containers.agent(record)
    await this.write(record.id, { state: 'starting', operation: 'checkpoint' })
    try {
      await agent.json({ method: 'POST', path: '/v1/detach', timeoutMs: 5000 })
      await waitForRunFile(containers.runDir(record.id), RUN_FILES.detached, 10_000, () =>
        containers.whyNotRunning(record.id),
      )
    } catch (error) {
      const why = `the agent did not come back after a checkpoint: ${(error as Error).message}`
      await this.resumeOrFail(record.id, why)
      throw error
    } finally {
      containers.closeAgent(record.id)
    }
  }

  /** Has a suspended sandbox's agent take its socket again in the same container. */
  async resumeInPlace(id: string): Promise<void> {
    const { containers, config } = this.#options
    const runDir = containers.runDir(id)
    if (fsSync.existsSync(path.join(runDir, RUN_FILES.detached))) {
      await fs.rm(path.join(runDir, 'agent.sock'), { force: true })
      await fs.writeFile(path.join(runDir, RUN_FILES.resume), '')
    }
    await waitForAgentReady(runDir, config.agent.startTimeoutSeconds * 1000, () =>
      containers.whyNotRunning(id),
    )
    await this.write(id, { state: 'running', operation: null })
  }

  /** Back to running after a suspend that went no further; failed with `message` otherwise. */
  async resumeOrFail(id: string, message: string): Promise<void> {
    await this.resumeInPlace(id).catch(() => this.fail(id, message))
  }

  /** Deletes the row and what the server keeps for the sandbox; tells the listeners. */
  async forget(id: string): Promise<void> {
    await this.#options.store.deleteSandbox(id)
    for (const listener of this.#forgetListeners) listener(id)
    await this.#options.containers.removeFiles(id)
  }

  /** A sandbox started again after its timeout was reached gets a whole timeout more. */
  #renewedExpiry(record: SandboxRecord): string | null | undefined {
    if (!record.timeout || !record.expiresAt) return undefined
    const now = this.#options.now()
    if (Date.parse(record.expiresAt) > now) return undefined
    return new Date(now + record.timeout * 1000).toISOString()
  }
}
