import { constants, existsSync, promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import type { Readable } from 'node:stream'
import type { FileInfo } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { openReadAt, writeAt, type OpenedFile } from './content.js'
import { alreadyExists, errno, fsError, infoOrGone, mapped } from './fs-errors.js'
import { assertWorkspaceId, baseName, joinRel, parentOf, parsePath } from './path.js'
import { copyAt, moveAt } from './transfer.js'
import { removeEntry } from './tree.js'
import { at, DIR_FLAGS, infoAt, lstatAt, toInfo, walkDirs, withHandle } from './walk.js'

const LIST_BATCH = 256

/** Options of {@link WorkspaceFiles}. */
export interface WorkspaceFilesOptions {
  /** Absolute directory holding one directory per workspace. */
  root: string
  /** Largest file accepted by {@link WorkspaceFiles.write} or served by {@link WorkspaceFiles.openRead}. */
  maxTransferBytes: number
}

/**
 * Workspace directories on the host and every file operation on them.
 *
 * A running sandbox shares these directories and may create symlinks or swap
 * directories at any moment, so no operation resolves a path string and then
 * uses it: paths are walked component by component from open directory
 * descriptors (see `walk.ts`), and symlinks inside a workspace are described
 * but never followed. Errors are `ApiError`s naming workspace-relative paths;
 * the host path of the data directory never appears in a message.
 *
 * Whether a workspace id names a workspace is the caller's business; a
 * workspace whose directory is missing is reported as WORKSPACE_NOT_FOUND.
 */
export class WorkspaceFiles {
  private readonly root: string
  private readonly maxTransferBytes: number

  /** Linux only: the descriptor walk needs `/proc/self/fd`. */
  constructor(opts: WorkspaceFilesOptions) {
    if (!isAbsolute(opts.root)) throw new Error('WorkspaceFiles root must be an absolute path')
    if (!existsSync('/proc/self/fd')) {
      throw new Error('WorkspaceFiles needs /proc/self/fd (Linux with /proc mounted)')
    }
    this.root = opts.root
    this.maxTransferBytes = opts.maxTransferBytes
  }

  /** Creates the directory of a workspace (and the data directory if needed). Idempotent. */
  async create(workspaceId: string): Promise<void> {
    assertWorkspaceId(workspaceId)
    await fs.mkdir(this.root, { recursive: true, mode: 0o755 })
    const dir = join(this.root, workspaceId)
    try {
      await fs.mkdir(dir, 0o755)
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err
      if (!(await fs.lstat(dir)).isDirectory()) {
        throw new Error(`The data entry of workspace ${workspaceId} is not a directory`)
      }
    }
  }

  /**
   * Removes a workspace directory and everything in it, walking descriptors
   * and never following symlinks. No-op when the directory is absent.
   */
  async destroy(workspaceId: string): Promise<void> {
    assertWorkspaceId(workspaceId)
    let base: FileHandle
    try {
      base = await fs.open(this.root, constants.O_RDONLY | constants.O_DIRECTORY)
    } catch (err) {
      if (errno(err) === 'ENOENT') return
      throw err
    }
    await withHandle(Promise.resolve(base), (dir) => removeEntry(dir, workspaceId, ''))
  }

  /** Entries of the directory at `path`, one level, sorted by name; a symlink is listed, not followed. */
  async list(workspaceId: string, path: string): Promise<FileInfo[]> {
    const p = parsePath(path)
    return this.withRoot(workspaceId, (root) =>
      withHandle(walkDirs(root, p.parts, { path: p.rel }), async (dir) => {
        const names = await mapped(p.rel, () => fs.readdir(at(dir), { encoding: 'buffer' }))
        const infos: FileInfo[] = []
        // In batches: a directory of a million entries must not mean a million pending lstats.
        for (let i = 0; i < names.length; i += LIST_BATCH) {
          const batch = names.slice(i, i + LIST_BATCH).map((raw) => {
            // Names that are not UTF-8 are shown with replacement characters.
            const name = raw.toString('utf8')
            const rel = joinRel(p.rel, name)
            return infoOrGone(rel, () => lstatAt(dir, raw).then((st) => toInfo(rel, name, st)))
          })
          for (const info of await Promise.all(batch)) if (info) infos.push(info)
        }
        return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      }),
    )
  }

  /** Description of the entry at `path` (a symlink is described, not followed). */
  async info(workspaceId: string, path: string): Promise<FileInfo> {
    const p = parsePath(path)
    return this.withRoot(workspaceId, async (root) => {
      if (p.parts.length === 0) return toInfo('', '', await root.stat())
      return withHandle(walkDirs(root, parentOf(p).parts, { path: p.rel }), (dir) =>
        infoAt(dir, baseName(p), p.rel),
      )
    })
  }

  /**
   * Opens a regular file for download, refusing symlinks, directories
   * (IS_A_DIRECTORY) and files over `maxTransferBytes` (PAYLOAD_TOO_LARGE).
   * The stream reads from the open descriptor, never the whole file into
   * memory, and closes it when it ends or is destroyed: the caller must
   * consume or destroy it.
   */
  async openRead(workspaceId: string, path: string): Promise<OpenedFile> {
    const p = parsePath(path)
    return this.withRoot(workspaceId, (root) => openReadAt(root, p, this.maxTransferBytes))
  }

  /**
   * Streams `body` into the file at `path`: into a temporary file in the
   * target directory, fsynced, then renamed over the destination, so readers
   * never see a partial file. Over `maxTransferBytes` (PAYLOAD_TOO_LARGE), or
   * if `body` fails, nothing is left behind and an existing file is
   * untouched. A symlink or directory at `path` is refused. With `parents`,
   * missing directories are created. `body` is not destroyed on failure: an
   * HTTP layer may still answer on its connection.
   */
  async write(
    workspaceId: string,
    path: string,
    body: Readable,
    opts: { parents: boolean },
  ): Promise<FileInfo> {
    const p = parsePath(path)
    return this.withRoot(workspaceId, (root) =>
      writeAt(root, p, body, opts.parents, this.maxTransferBytes),
    )
  }

  /**
   * Creates the directory at `path`. With `parents`, missing ancestors are
   * created and an existing directory is fine; otherwise an existing entry
   * is ALREADY_EXISTS.
   */
  async mkdir(workspaceId: string, path: string, opts: { parents: boolean }): Promise<FileInfo> {
    const p = parsePath(path)
    return this.withRoot(workspaceId, async (root) => {
      if (p.parts.length === 0) {
        if (!opts.parents) throw alreadyExists('')
        return toInfo('', '', await root.stat())
      }
      const name = baseName(p)
      const opening = walkDirs(root, parentOf(p).parts, { create: opts.parents, path: p.rel })
      return withHandle(opening, async (dir) => {
        try {
          await fs.mkdir(at(dir, name), 0o755)
        } catch (err) {
          if (errno(err) !== 'EEXIST') throw fsError(err, p.rel)
          const existing = await infoAt(dir, name, p.rel)
          if (!opts.parents || existing.type !== 'directory') throw alreadyExists(p.rel)
          return existing
        }
        return infoAt(dir, name, p.rel)
      })
    })
  }

  /**
   * Copies `source` to `destination`: a file by content (permission bits
   * kept), a directory recursively, a symlink as a symlink; nothing is ever
   * followed. The copy is built under a temporary name in the destination
   * directory and renamed into place. `overwrite` replaces an existing file
   * only; a directory there is IS_A_DIRECTORY, a file under a directory
   * source NOT_A_DIRECTORY. Copying into itself is VALIDATION.
   */
  async copy(
    workspaceId: string,
    source: string,
    destination: string,
    opts: { overwrite: boolean },
  ): Promise<FileInfo> {
    const s = parsePath(source)
    const d = parsePath(destination)
    return this.withRoot(workspaceId, (root) => copyAt(root, s, d, opts.overwrite))
  }

  /**
   * Renames `source` to `destination` with one rename(2). Moving the root or
   * a directory into itself is VALIDATION; `overwrite` as for {@link copy}.
   */
  async move(
    workspaceId: string,
    source: string,
    destination: string,
    opts: { overwrite: boolean },
  ): Promise<FileInfo> {
    const s = parsePath(source)
    const d = parsePath(destination)
    return this.withRoot(workspaceId, (root) => moveAt(root, s, d, opts.overwrite))
  }

  /**
   * Removes the entry at `path`. A directory must be empty unless
   * `recursive` (IS_A_DIRECTORY otherwise); a symlink is removed itself,
   * never its target. The root cannot be removed (PERMISSION_DENIED).
   */
  async remove(workspaceId: string, path: string, opts: { recursive: boolean }): Promise<void> {
    const p = parsePath(path)
    if (p.parts.length === 0) {
      throw new ApiError('PERMISSION_DENIED', 'The workspace root cannot be deleted', { path: '' })
    }
    const name = baseName(p)
    await this.withRoot(workspaceId, (root) =>
      withHandle(walkDirs(root, parentOf(p).parts, { path: p.rel }), async (dir) => {
        const st = await mapped(p.rel, () => lstatAt(dir, name))
        if (opts.recursive) await removeEntry(dir, name, p.rel)
        else if (st.isDirectory()) await mapped(p.rel, () => fs.rmdir(at(dir, name)))
        else await mapped(p.rel, () => fs.unlink(at(dir, name)))
      }),
    )
  }

  /** Runs `fn` with the workspace directory open (O_NOFOLLOW), closing it afterwards. */
  private async withRoot<T>(workspaceId: string, fn: (root: FileHandle) => Promise<T>): Promise<T> {
    assertWorkspaceId(workspaceId)
    let root: FileHandle
    try {
      root = await fs.open(join(this.root, workspaceId), DIR_FLAGS)
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') {
        throw new ApiError('WORKSPACE_NOT_FOUND', `Workspace ${workspaceId} has no directory`, {
          workspace_id: workspaceId,
        })
      }
      throw err
    }
    return withHandle(Promise.resolve(root), fn)
  }
}
