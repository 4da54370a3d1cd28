import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { FileInfo, Workspace } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { MetadataStore, WorkspaceRecord } from '../store/index.js'
import { WorkspaceFiles } from '../storage/index.js'
import type { QuotaProbe } from '../storage/quotas.js'

/** What a caller may set when creating a workspace. */
export interface CreateWorkspaceInput {
  name?: string | null
  metadata?: Record<string, string> | null
  /** Disk quota in bytes; null for unlimited; absent for the server's default. */
  quota_bytes?: number | null
}

/** What a caller may change on a workspace. */
export interface UpdateWorkspaceInput {
  /** New disk quota in bytes, or null to lift it. */
  quota_bytes?: number | null
}

/** Where workspace data lives and how big a transfer may be. */
export interface WorkspaceServiceOptions {
  /** Directory holding one directory per workspace. */
  workspacesDir: string
  /** Directory where deleted workspaces wait to be removed; on the same filesystem. */
  trashDir: string
  maxTransferBytes: number
  store: MetadataStore
  log: FastifyBaseLogger
  /** The NFS server's exports, kept equal to the workspaces; absent when NFS is off. */
  exports?: WorkspaceExports
  /** Whether the data directory can enforce quotas (see `probeQuotas`); absent: it cannot. */
  quotas?: QuotaProbe
  /** WM_WORKSPACE_QUOTA_BYTES: the quota of a workspace created without one; null: unlimited. */
  defaultQuotaBytes?: number | null
}

/** What keeps a workspace exported (over NFS) for as long as it exists. */
export interface WorkspaceExports {
  /** The workspace's `nfs_url`. */
  url(workspaceId: string): string
  /** Called once the workspace's directory and row exist. */
  added(workspaceId: string): Promise<void>
  /** Called after the row is gone and before the directory is moved to the trash. */
  removed(workspaceId: string): Promise<void>
}

/** A QUOTA_EXCEEDED error on a workspace with a quota says which quota was reached. */
function withQuota(error: unknown, record: WorkspaceRecord): unknown {
  if (!(error instanceof ApiError) || error.key !== 'QUOTA_EXCEEDED') return error
  if (record.quotaBytes === null) return error
  return new ApiError(
    'QUOTA_EXCEEDED',
    `${error.message}: workspace ${record.id} has reached its quota of ${record.quotaBytes} bytes`,
    { ...error.details, workspace_id: record.id, quota_bytes: record.quotaBytes },
  )
}

function newWorkspaceId(): string {
  return `ws_${randomBytes(10).toString('hex')}`
}

function toWire(
  record: WorkspaceRecord,
  exports: WorkspaceExports | undefined,
  used: ReadonlyMap<number, number>,
): Workspace {
  return {
    id: record.id,
    name: record.name,
    metadata: record.metadata,
    nfs_url: exports ? exports.url(record.id) : null,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    quota_bytes: record.quotaBytes,
    used_bytes: record.quotaId === null ? null : (used.get(record.quotaId) ?? null),
  }
}

/**
 * Workspaces: a row in the store and a directory on disk, kept in step.
 * A workspace is created directory-first and deleted row-first, so a crash
 * at any point leaves either a whole workspace or a directory with no row,
 * which `sweep()` removes at the next start — never a row without its files.
 */
export class WorkspaceService {
  readonly #store: MetadataStore
  readonly #files: WorkspaceFiles
  readonly #options: WorkspaceServiceOptions

  constructor(options: WorkspaceServiceOptions) {
    this.#options = options
    this.#store = options.store
    this.#files = new WorkspaceFiles({
      root: options.workspacesDir,
      maxTransferBytes: options.maxTransferBytes,
    })
  }

  /**
   * Creates a workspace with an empty directory: where the data directory
   * can enforce quotas, one the kernel counts (and limits to its quota).
   * A quota asked for where none can be enforced is VALIDATION, naming why.
   */
  async create(input: CreateWorkspaceInput): Promise<Workspace> {
    const now = new Date().toISOString()
    const quotaBytes =
      input.quota_bytes === undefined
        ? (this.#options.defaultQuotaBytes ?? null)
        : input.quota_bytes
    const quotas = this.#options.quotas?.quotas ?? null
    if (quotaBytes !== null && !quotas) throw this.#noQuotas()
    const record: WorkspaceRecord = {
      id: newWorkspaceId(),
      name: input.name ?? null,
      metadata: input.metadata ?? null,
      createdAt: now,
      updatedAt: now,
      quotaBytes,
      quotaId: null,
    }
    if (quotas) {
      await fs.mkdir(this.#options.workspacesDir, { recursive: true, mode: 0o755 })
      record.quotaId = await quotas.createCounted(this.hostDir(record.id), quotaBytes)
    } else {
      await this.#files.create(record.id)
    }
    try {
      await this.#store.insertWorkspace(record)
    } catch (error) {
      await this.#files.destroy(record.id)
      if (record.quotaId !== null) await quotas?.release(record.quotaId)
      throw error
    }
    // A workspace whose export could not be added is still a workspace: the
    // export is in the store and ganesha's next start serves it.
    await this.#options.exports?.added(record.id).catch((error: unknown) => {
      this.#options.log.error({ err: error, workspaceId: record.id }, 'could not export workspace')
    })
    return toWire(record, this.#options.exports, await this.#usage([record]))
  }

  /** The workspace `id`; 404 code 7001 when there is none. */
  async get(id: string): Promise<Workspace> {
    const record = await this.#require(id)
    return toWire(record, this.#options.exports, await this.#usage([record]))
  }

  /** Every workspace, oldest first. */
  async list(): Promise<Workspace[]> {
    const records = await this.#store.listWorkspaces()
    const used = await this.#usage(records)
    return records.map((r) => toWire(r, this.#options.exports, used))
  }

  /**
   * Changes a workspace's quota (null lifts it). Lowering it below what is
   * used is allowed: writes then fail until enough is deleted. A workspace
   * whose directory is not counted (made where quotas cannot be enforced)
   * can only stay unlimited.
   */
  async update(id: string, input: UpdateWorkspaceInput): Promise<Workspace> {
    const record = await this.#require(id)
    if (input.quota_bytes === undefined) return this.get(id)
    const quotas = this.#options.quotas?.quotas ?? null
    if (input.quota_bytes !== null && (!quotas || record.quotaId === null)) {
      throw quotas
        ? new ApiError(
            'VALIDATION',
            `Workspace ${id} was made where quotas could not be enforced; its directory is not counted, so it cannot be given a quota`,
            { workspace_id: id },
          )
        : this.#noQuotas()
    }
    if (quotas && record.quotaId !== null) await quotas.setLimit(record.quotaId, input.quota_bytes)
    const updated = await this.#store.updateWorkspace(id, { quotaBytes: input.quota_bytes })
    if (!updated) throw new ApiError('WORKSPACE_NOT_FOUND', `workspace ${id} not found`, { id })
    return toWire(updated, this.#options.exports, await this.#usage([updated]))
  }

  /**
   * Deletes the workspace and all its files; 409 code 7002 while a sandbox
   * uses it. The row goes first (atomically with the in-use check), then the
   * directory is renamed into the trash and emptied.
   */
  async delete(id: string): Promise<void> {
    const quotaId = (await this.#store.getWorkspace(id))?.quotaId ?? null
    const outcome = await this.#store.deleteWorkspaceIfUnused(id)
    if (outcome === 'missing') {
      throw new ApiError('WORKSPACE_NOT_FOUND', `workspace ${id} not found`, { id })
    }
    if (outcome === 'in-use') {
      const sandboxes = (await this.#store.listSandboxes({ workspaceId: id })).map((s) => s.id)
      throw new ApiError(
        'WORKSPACE_HAS_SANDBOXES',
        `Workspace has active sandboxes: delete ${sandboxes.join(', ')} first`,
        { workspace_id: id, sandboxes },
      )
    }
    await this.#options.exports?.removed(id).catch((error: unknown) => {
      this.#options.log.error({ err: error, workspaceId: id }, 'could not unexport workspace')
    })
    const trashName = `${id}-${randomBytes(4).toString('hex')}`
    await fs.mkdir(this.#options.trashDir, { recursive: true })
    await fs.rename(
      path.join(this.#options.workspacesDir, id),
      path.join(this.#options.trashDir, trashName),
    )
    await this.#emptyTrash(trashName)
    if (quotaId !== null) await this.#options.quotas?.quotas?.release(quotaId)
  }

  /** Host directory of a workspace, for mounting into sandboxes. */
  hostDir(id: string): string {
    return path.join(this.#options.workspacesDir, id)
  }

  /**
   * Removes one trash entry. Nothing mounts the trash, so no sandbox can swap
   * a symlink in while this runs, and `fs.rm` (which unlinks symlinks rather
   * than following them) is safe here, at any depth. Failures are logged, not
   * thrown: the workspace is already gone for every caller.
   */
  async #emptyTrash(name: string): Promise<void> {
    try {
      await fs.rm(path.join(this.#options.trashDir, name), { recursive: true, force: true })
    } catch (error) {
      this.#options.log.warn({ err: error, entry: name }, 'could not empty the trash yet')
    }
  }

  /**
   * Removes what a crash may have left: trashed workspaces and directories
   * with no row. Run by the leader. Directories made less than `graceMs` ago
   * are left alone: with several servers, another one may be creating that
   * workspace right now (its row comes after its directory).
   */
  async sweep(graceMs = 0): Promise<void> {
    const madeBefore = Date.now() - graceMs
    await fs.mkdir(this.#options.workspacesDir, { recursive: true })
    await fs.mkdir(this.#options.trashDir, { recursive: true })
    for (const name of await fs.readdir(this.#options.trashDir)) await this.#emptyTrash(name)
    const known = new Set((await this.#store.listWorkspaces()).map((record) => record.id))
    for (const name of await fs.readdir(this.#options.workspacesDir)) {
      if (known.has(name)) continue
      const stat = await fs
        .lstat(path.join(this.#options.workspacesDir, name))
        .catch(() => undefined)
      if (!stat || stat.mtimeMs >= madeBefore) continue
      // A directory with no row comes from a create that crashed before its
      // row was written: no sandbox ever mounted it. Move it to the trash.
      this.#options.log.warn({ workspaceId: name }, 'removing a workspace directory with no row')
      const trashName = `orphan-${randomBytes(4).toString('hex')}`
      await fs.rename(
        path.join(this.#options.workspacesDir, name),
        path.join(this.#options.trashDir, trashName),
      )
      await this.#emptyTrash(trashName)
    }
  }

  listFiles(id: string, filePath: string): Promise<FileInfo[]> {
    return this.#withWorkspace(id, () => this.#files.list(id, filePath))
  }

  fileInfo(id: string, filePath: string): Promise<FileInfo> {
    return this.#withWorkspace(id, () => this.#files.info(id, filePath))
  }

  openFile(
    id: string,
    filePath: string,
  ): Promise<{ stream: Readable; size: number; info: FileInfo }> {
    return this.#withWorkspace(id, () => this.#files.openRead(id, filePath))
  }

  async writeFile(
    id: string,
    filePath: string,
    body: Readable,
    parents: boolean,
  ): Promise<FileInfo> {
    const record = await this.#require(id)
    try {
      return await this.#files.write(id, filePath, body, { parents })
    } catch (error) {
      throw withQuota(error, record)
    }
  }

  mkdir(id: string, filePath: string, parents: boolean): Promise<FileInfo> {
    return this.#withWorkspace(id, () => this.#files.mkdir(id, filePath, { parents }))
  }

  async copy(
    id: string,
    source: string,
    destination: string,
    overwrite: boolean,
  ): Promise<FileInfo> {
    const record = await this.#require(id)
    try {
      return await this.#files.copy(id, source, destination, { overwrite })
    } catch (error) {
      throw withQuota(error, record)
    }
  }

  move(id: string, source: string, destination: string, overwrite: boolean): Promise<FileInfo> {
    return this.#withWorkspace(id, () => this.#files.move(id, source, destination, { overwrite }))
  }

  removeFile(id: string, filePath: string, recursive: boolean): Promise<void> {
    return this.#withWorkspace(id, () => this.#files.remove(id, filePath, { recursive }))
  }

  async #require(id: string): Promise<WorkspaceRecord> {
    const record = await this.#store.getWorkspace(id)
    if (!record) throw new ApiError('WORKSPACE_NOT_FOUND', `workspace ${id} not found`, { id })
    return record
  }

  /** Bytes used by each counted workspace of `records`; none when nothing could be counted. */
  async #usage(records: readonly WorkspaceRecord[]): Promise<ReadonlyMap<number, number>> {
    const quotas = this.#options.quotas?.quotas
    if (!quotas || !records.some((r) => r.quotaId !== null)) return new Map()
    try {
      return await quotas.usage()
    } catch (error) {
      // Usage is informative: a workspace is still served when it cannot be counted right now.
      this.#options.log.warn({ err: error }, 'could not read workspace usage')
      return new Map()
    }
  }

  #noQuotas(): ApiError {
    const probe = this.#options.quotas
    const why = probe && !probe.quotas ? probe.reason : 'quotas are not set up on this server'
    return new ApiError('VALIDATION', `Workspace quotas are not available here: ${why}`, {
      filesystem: probe?.filesystem ?? null,
    })
  }

  async #withWorkspace<T>(id: string, operation: () => Promise<T>): Promise<T> {
    await this.#require(id)
    return operation()
  }
}
