import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Checkpoint, Sandbox } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { CheckpointRecord, MetadataStore, SandboxRecord } from '../store/index.js'
import type { SandboxRuntime } from '../runtime/types.js'
import { copyTree, replaceContents } from '../storage/snapshot.js'
import type { SandboxService } from './sandboxes.js'
import type { WorkspaceService } from './workspaces.js'
import type { SandboxTransitions } from './lifecycle/transitions.js'

/** Image label naming the checkpoint an image was committed for. */
export const CHECKPOINT_LABEL = 'wm.checkpoint'

/** Repository of checkpoint images: `wm-checkpoint:<checkpoint id>`. */
export const CHECKPOINT_REPOSITORY = 'wm-checkpoint'

/** What the checkpoint service needs. */
export interface CheckpointServiceOptions {
  /** WORKSPACE_ENABLE_CHECKPOINTS: when false every call is refused with 403 code 1003. */
  enabled: boolean
  store: MetadataStore
  runtime: SandboxRuntime
  sandboxes: SandboxService
  workspaces: WorkspaceService
  /** Where workspace snapshots are kept, one directory per checkpoint. */
  checkpointsDir: string
  /** Scratch space on the workspaces' filesystem (restores are renamed into place from it). */
  trashDir: string
  log: FastifyBaseLogger
  /**
   * With several servers: images and snapshots with no checkpoint row that
   * are younger than this are left alone (another server may be making
   * them). 0, the default, for a lone server.
   */
  leftoverGraceMs?: number
}

function toWire(record: CheckpointRecord): Checkpoint {
  return {
    id: record.id,
    sandbox_id: record.sandboxId,
    workspace_id: record.workspaceId,
    name: record.name,
    kind: record.kind,
    image: record.image,
    created_at: record.createdAt,
  }
}

const scratchName = (what: string) => `${what}-${randomBytes(6).toString('hex')}`

/**
 * Checkpoints of sandboxes. Where the runtime can save processes (runsc,
 * `capabilities.processCheckpoints`) they are process checkpoints: memory
 * and processes, plus the container's filesystem as an image and a
 * snapshot of the workspace (`kind: "process"`). Elsewhere they are
 * filesystem checkpoints: the image and the snapshot, taken while the
 * sandbox is paused so the two agree; running processes are not part of
 * them (`kind: "filesystem"` says so). Restoring restarts the sandbox from
 * the image with the workspace put back, and its processes where saved.
 * Checkpoints and restores run in the sandbox's turn of the lifecycle
 * controller, one at a time with every other operation on it.
 */
export class CheckpointService {
  readonly #options: CheckpointServiceOptions
  /**
   * Checkpoints being created: their images exist before their rows. The
   * sandbox's turn keeps its own operations apart, but the sweep of images
   * with no row runs after any sandbox's removal or restore.
   */
  readonly #creating = new Set<string>()

  constructor(options: CheckpointServiceOptions) {
    this.#options = options
    options.sandboxes.onForget((sandboxId) => {
      void options.sandboxes.lifecycle
        .afterwards(sandboxId, async () => {
          await this.#removeAll(sandboxId)
          await this.#removeUnknownImages()
        })
        .catch((error: unknown) =>
          options.log.warn(
            { err: error, sandboxId },
            'could not remove the checkpoints of a sandbox',
          ),
        )
    })
  }

  /** Checkpoints the running sandbox `sandboxId` (resumed first when it has auto_resume). */
  async create(sandboxId: string, name: string | null): Promise<Checkpoint> {
    this.#assertEnabled()
    this.#assertCanSave(sandboxId)
    const { lifecycle } = this.#options.sandboxes
    return lifecycle.exclusive(sandboxId, async (row, transitions) => {
      const { runtime, store, checkpointsDir } = this.#options
      const sandbox = await lifecycle.running(row, transitions)
      const id = `ck_${randomBytes(10).toString('hex')}`
      const image = `${CHECKPOINT_REPOSITORY}:${id}`
      const kind = runtime.capabilities.processCheckpoints ? 'process' : 'filesystem'
      const staging = path.join(checkpointsDir, scratchName('.staging'))
      await fs.mkdir(staging, { recursive: true, mode: 0o700 })
      this.#creating.add(id)
      const record: CheckpointRecord = {
        id,
        sandboxId,
        workspaceId: sandbox.workspaceId,
        name,
        kind,
        image,
        createdAt: new Date().toISOString(),
      }
      try {
        if (kind === 'process') {
          await this.#saveProcesses(sandbox, record, staging, transitions)
        } else {
          await runtime.pause(sandboxId)
          try {
            await this.#saveFilesystem(record, staging)
          } finally {
            await runtime.unpause(sandboxId)
          }
        }
        await fs.rename(staging, path.join(checkpointsDir, id))
        await store.insertCheckpoint(record)
      } catch (error) {
        await this.#discard(id, image, staging)
        throw error
      } finally {
        this.#creating.delete(id)
      }
      if (kind === 'process') await this.#resumeAfterSave(record, transitions)
      return toWire(record)
    })
  }

  /** The workspace snapshot and the committed image of a checkpoint, into `staging`. */
  async #saveFilesystem(record: CheckpointRecord, staging: string): Promise<void> {
    const { runtime, workspaces } = this.#options
    await copyTree(workspaces.hostDir(record.workspaceId), path.join(staging, 'workspace'))
    await runtime.commit(record.sandboxId, record.image, { [CHECKPOINT_LABEL]: record.id })
  }

  /**
   * A process checkpoint: the agent lets go of its socket (runsc cannot
   * save a host socket), runsc saves every process and stops the
   * container, then the filesystem is saved while nothing runs, so memory,
   * filesystem and workspace agree. The sandbox is resumed afterwards from
   * what was saved (`#resumeAfterSave`): runsc leaves a checkpointed
   * container unable to start again.
   */
  async #saveProcesses(
    sandbox: SandboxRecord,
    record: CheckpointRecord,
    staging: string,
    transitions: SandboxTransitions,
  ): Promise<void> {
    const { runtime } = this.#options
    await transitions.suspend(sandbox)
    try {
      await runtime.checkpointProcesses(record.sandboxId, path.join(staging, 'process'))
    } catch (error) {
      const message = `the process checkpoint failed: ${(error as Error).message}`
      // runsc may have refused before stopping anything; otherwise the processes are gone.
      await transitions.resumeOrFail(record.sandboxId, message)
      throw new ApiError('INTERNAL', message, { sandbox_id: record.sandboxId })
    }
    try {
      await this.#saveFilesystem(record, staging)
    } catch (error) {
      const message = `the processes were saved but the filesystem could not be: ${(error as Error).message}`
      await transitions.fail(record.sandboxId, message)
      throw new ApiError('INTERNAL', message, { sandbox_id: record.sandboxId })
    }
  }

  /** Runs the sandbox on from the checkpoint just saved, in a new container. */
  async #resumeAfterSave(record: CheckpointRecord, transitions: SandboxTransitions): Promise<void> {
    const { checkpointsDir } = this.#options
    try {
      const sandbox = await transitions.require(record.sandboxId)
      await transitions.replaceContainer(sandbox, record.image, async () => undefined, {
        restoreFrom: path.join(checkpointsDir, record.id, 'process'),
      })
    } catch (error) {
      throw new ApiError(
        'INTERNAL',
        `checkpoint ${record.id} was saved, but the sandbox could not run on from it: ${(error as Error).message}; restore it to try again`,
        { id: record.id, sandbox_id: record.sandboxId },
      )
    }
  }

  /** Checkpoints of `sandboxId`, oldest first. */
  async list(sandboxId: string): Promise<Checkpoint[]> {
    this.#assertEnabled()
    await this.#options.sandboxes.require(sandboxId)
    return (await this.#options.store.listCheckpoints(sandboxId)).map(toWire)
  }

  /**
   * Restarts the sandbox from checkpoint `id`: a new container from the
   * committed image, with the workspace as it was. The workspace is shared
   * by every sandbox bound to it, and they all see it go back.
   */
  async restore(sandboxId: string, id: string): Promise<Sandbox> {
    this.#assertEnabled()
    const { sandboxes } = this.#options
    return sandboxes.lifecycle.exclusive(sandboxId, async (sandbox, transitions) => {
      const { runtime, workspaces, checkpointsDir, trashDir } = this.#options
      const checkpoint = await this.#require(sandboxId, id)
      if (checkpoint.kind === 'filesystem') this.#assertCanSave(sandboxId)
      if (checkpoint.kind === 'process' && !runtime.capabilities.processCheckpoints) {
        throw new ApiError(
          'RUNTIME_UNAVAILABLE',
          `checkpoint ${id} saved processes, and this server cannot restore them (it needs WM_RUNTIME=runsc on an engine with checkpoints)`,
          { id, kind: checkpoint.kind },
        )
      }
      if (!(await runtime.imageExists(checkpoint.image))) {
        throw new ApiError(
          'NOT_FOUND',
          `the image ${checkpoint.image} of checkpoint ${id} is gone from the engine`,
          { id, image: checkpoint.image },
        )
      }
      // Copied beside the workspaces first, so that the sandbox is down only for renames.
      await fs.mkdir(trashDir, { recursive: true })
      const replacement = path.join(trashDir, scratchName(`restore-${id}`))
      const evicted = path.join(trashDir, scratchName(`evicted-${id}`))
      try {
        await copyTree(path.join(checkpointsDir, id, 'workspace'), replacement)
        // A restored sandbox runs, whatever it was asked to be before.
        await transitions.write(sandboxId, { desiredState: 'running' })
        await transitions.replaceContainer(
          sandbox,
          checkpoint.image,
          () => replaceContents(workspaces.hostDir(sandbox.workspaceId), replacement, evicted),
          checkpoint.kind === 'process'
            ? { restoreFrom: path.join(checkpointsDir, id, 'process') }
            : {},
        )
        // The container that went may have held the last use of a deleted checkpoint's image.
        await this.#removeUnknownImages()
        return sandboxes.toWire(await transitions.write(sandboxId, { desiredState: 'running' }))
      } finally {
        // Nothing mounts the trash, so fs.rm (which never follows symlinks) is safe here.
        await fs.rm(replacement, { recursive: true, force: true })
        await fs.rm(evicted, { recursive: true, force: true })
      }
    })
  }

  /** Deletes checkpoint `id` of `sandboxId`: its row, image and snapshot. */
  async delete(sandboxId: string, id: string): Promise<void> {
    this.#assertEnabled()
    await this.#options.sandboxes.lifecycle.exclusive(sandboxId, async () => {
      const checkpoint = await this.#require(sandboxId, id)
      await this.#options.store.deleteCheckpoint(id)
      await this.#discard(id, checkpoint.image)
    })
  }

  /** Resolves once every operation under way (removals after a sandbox went included) is over. */
  async close(): Promise<void> {
    await this.#options.sandboxes.lifecycle.idle()
  }

  /**
   * Removes what a crash or a failed removal left: checkpoints whose sandbox
   * is gone, and images and snapshots with no checkpoint row. Run by the
   * leader; never throws (an unreachable engine is logged). Images and
   * snapshots made within `leftoverGraceMs` are left alone: with several
   * servers, another one may be making that checkpoint right now (its row
   * comes last).
   */
  async sweep(): Promise<void> {
    await this.#sweep(this.#madeBefore()).catch((error: unknown) => {
      this.#options.log.warn({ err: error }, 'could not sweep checkpoint leftovers')
    })
  }

  async #sweep(madeBefore: number): Promise<void> {
    const { store, checkpointsDir } = this.#options
    await fs.mkdir(checkpointsDir, { recursive: true, mode: 0o700 })
    const sandboxIds = new Set((await store.listSandboxes()).map((sandbox) => sandbox.id))
    for (const checkpoint of await store.listCheckpoints()) {
      if (sandboxIds.has(checkpoint.sandboxId)) continue
      await this.#removeAll(checkpoint.sandboxId)
    }
    await this.#removeUnknownImages(madeBefore)
    const known = new Set((await store.listCheckpoints()).map((checkpoint) => checkpoint.id))
    for (const name of await fs.readdir(checkpointsDir)) {
      if (known.has(name)) continue
      const entry = path.join(checkpointsDir, name)
      const stat = await fs.lstat(entry).catch(() => undefined)
      if (!stat || stat.mtimeMs >= madeBefore) continue
      await fs.rm(entry, { recursive: true, force: true })
    }
  }

  /**
   * Removes checkpoint images with no checkpoint: left by a crash, or those
   * of deleted checkpoints that a container still ran from (they lost their
   * name then, and can go once that container has). One still in use stays.
   */
  /** Leftovers made after this (ms since the epoch) may still be in the making elsewhere. */
  #madeBefore(): number {
    return Date.now() - (this.#options.leftoverGraceMs ?? 0)
  }

  async #removeUnknownImages(madeBefore = this.#madeBefore()): Promise<void> {
    const { store, runtime, log } = this.#options
    const known = new Set((await store.listCheckpoints()).map((checkpoint) => checkpoint.id))
    for (const image of await runtime.listImages(CHECKPOINT_LABEL)) {
      if (known.has(image.value) || this.#creating.has(image.value)) continue
      if (image.createdAt >= madeBefore) continue
      log.debug({ checkpointId: image.value }, 'removing a checkpoint image with no checkpoint')
      await runtime.removeImage(image.id)
    }
  }

  async #removeAll(sandboxId: string): Promise<void> {
    for (const checkpoint of await this.#options.store.listCheckpoints(sandboxId)) {
      await this.#options.store.deleteCheckpoint(checkpoint.id)
      await this.#discard(checkpoint.id, checkpoint.image)
    }
  }

  /** Removes a checkpoint's image and snapshot (and a staging directory). */
  async #discard(id: string, image: string, staging?: string): Promise<void> {
    const { runtime, checkpointsDir, log } = this.#options
    await runtime.removeImage(image).catch((error: unknown) => {
      log.warn({ err: error, checkpointId: id }, 'could not remove a checkpoint image')
    })
    for (const dir of [path.join(checkpointsDir, id), staging]) {
      if (dir) await fs.rm(dir, { recursive: true, force: true })
    }
  }

  async #require(sandboxId: string, id: string): Promise<CheckpointRecord> {
    const checkpoint = await this.#options.store.getCheckpoint(id)
    if (!checkpoint || checkpoint.sandboxId !== sandboxId) {
      throw new ApiError('NOT_FOUND', `checkpoint ${id} of sandbox ${sandboxId} not found`, {
        id,
        sandbox_id: sandboxId,
      })
    }
    return checkpoint
  }

  /** A runtime that can save neither processes nor filesystems (Kubernetes) refuses before anything is done. */
  #assertCanSave(sandboxId: string): void {
    const { capabilities } = this.#options.runtime
    if (capabilities.processCheckpoints || capabilities.filesystemCheckpoints) return
    throw new ApiError(
      'CHECKPOINT_REFUSED',
      'filesystem checkpoints are not available on the Kubernetes runtime',
      { sandbox_id: sandboxId },
    )
  }

  #assertEnabled(): void {
    if (!this.#options.enabled) {
      throw new ApiError(
        'FORBIDDEN',
        'checkpoints are disabled on this server (WORKSPACE_ENABLE_CHECKPOINTS=false)',
      )
    }
  }
}
