/**
 * Whole-tree snapshots of a workspace for checkpoints, over directory
 * descriptors like the rest of storage: a sandbox swapping a directory for
 * a symlink mid-copy gets its symlink copied, never followed. Unlike a
 * file-API copy, a snapshot keeps owners and times.
 */
import { constants, promises as fs } from 'node:fs'
import type { Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { ApiError } from '../errors.js'
import { errno } from './fs-errors.js'
import { MAX_TREE_DEPTH, removeEntry, writeAll } from './tree.js'
import { DIR_FLAGS, at, lstatAt, openDirAt, type Name } from './walk.js'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants

/** Times an entry the sandbox keeps changing is looked at again before it is left out. */
const RETRIES = 5

const COPY_CHUNK = 1 << 20

/**
 * Mode bits kept: permissions and the sticky bit. Set-user-ID and
 * set-group-ID bits are dropped so the server never creates set-ID files of
 * its own on the host.
 */
const KEPT_MODE = 0o1777

function typeChanged(error: unknown): boolean {
  const code = errno(error)
  return code === 'EINVAL' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR'
}

/** Gives `handle` (a copy) the owner, mode and times of `st` (its source). */
async function copyMetadata(handle: FileHandle, st: Stats): Promise<void> {
  await handle.chown(st.uid, st.gid)
  await handle.chmod(st.mode & KEPT_MODE)
  await handle.utimes(st.atime, st.mtime)
}

async function copyFile(srcDir: FileHandle, dstDir: FileHandle, name: Name): Promise<void> {
  const src = await fs.open(at(srcDir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
  try {
    const st = await src.stat()
    if (st.isDirectory()) throw Object.assign(new Error('became a directory'), { code: 'EISDIR' })
    // A FIFO, socket or device: not part of a snapshot.
    if (!st.isFile()) return
    const dst = await fs.open(at(dstDir, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
    try {
      const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(st.size, 1)))
      for (;;) {
        const { bytesRead } = await src.read(buffer, 0, buffer.length, null)
        if (bytesRead === 0) break
        await writeAll(dst, buffer.subarray(0, bytesRead))
      }
      await copyMetadata(dst, st)
    } finally {
      await dst.close()
    }
  } finally {
    await src.close()
  }
}

async function copyDir(
  srcDir: FileHandle,
  dstDir: FileHandle,
  name: Name,
  depth: number,
): Promise<void> {
  await fs.mkdir(at(dstDir, name), 0o700)
  let src: FileHandle
  try {
    src = await openDirAt(srcDir, name)
  } catch (error) {
    await fs.rmdir(at(dstDir, name))
    throw error
  }
  try {
    const dst = await openDirAt(dstDir, name)
    try {
      await copyContents(src, dst, depth + 1)
    } finally {
      await dst.close()
    }
  } finally {
    await src.close()
  }
}

async function copySymlink(srcDir: FileHandle, dstDir: FileHandle, name: Name, st: Stats) {
  const target = await fs.readlink(at(srcDir, name), { encoding: 'buffer' })
  await fs.symlink(target, at(dstDir, name))
  // Neither call follows the link: the path's last component is the link itself.
  await fs.lchown(at(dstDir, name), st.uid, st.gid)
  await fs.lutimes(at(dstDir, name), st.atime, st.mtime)
}

/** Copies the entry `name` of `srcDir` into `dstDir`; one removed meanwhile is skipped. */
async function copyEntry(srcDir: FileHandle, dstDir: FileHandle, name: Name, depth: number) {
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    let st: Stats
    try {
      st = await lstatAt(srcDir, name)
    } catch (error) {
      if (errno(error) === 'ENOENT') return
      throw error
    }
    try {
      if (st.isSymbolicLink()) await copySymlink(srcDir, dstDir, name, st)
      else if (st.isDirectory()) await copyDir(srcDir, dstDir, name, depth)
      else if (st.isFile()) await copyFile(srcDir, dstDir, name)
      return
    } catch (error) {
      if (errno(error) === 'ENOENT') return
      if (!typeChanged(error)) throw error
      // Swapped under us: drop what was made of it and look again.
      await removeEntry(dstDir, name, '').catch(() => undefined)
    }
  }
}

async function copyContents(src: FileHandle, dst: FileHandle, depth: number): Promise<void> {
  if (depth > MAX_TREE_DEPTH) {
    throw new ApiError(
      'VALIDATION',
      `the workspace is nested more than ${MAX_TREE_DEPTH} directories deep`,
    )
  }
  for (const name of await fs.readdir(at(src), { encoding: 'buffer' })) {
    await copyEntry(src, dst, name, depth)
  }
  await copyMetadata(dst, await src.stat())
}

/**
 * Copies the tree of the directory `source` into the new directory
 * `destination`: directories, regular files (contents, owner, permission
 * and sticky bits, times) and symlinks (as symlinks). FIFOs, sockets and
 * devices are left out, and hard links become separate files.
 */
export async function copyTree(source: string, destination: string): Promise<void> {
  await fs.mkdir(destination, 0o700)
  const src = await fs.open(source, DIR_FLAGS)
  try {
    const dst = await fs.open(destination, DIR_FLAGS)
    try {
      await copyContents(src, dst, 0)
    } finally {
      await dst.close()
    }
  } finally {
    await src.close()
  }
}

/**
 * Replaces the contents of the directory `target` with the entries of the
 * directory `replacement` (on the same filesystem), by renames only: first
 * every entry of `target` is moved into the new directory `trash`, then
 * every entry of `replacement` into `target`, whose own owner, mode and
 * times become those of `replacement`. An entry someone creates in
 * `target` meanwhile is moved to the trash as well. The caller removes
 * `trash` and `replacement`.
 */
export async function replaceContents(
  target: string,
  replacement: string,
  trash: string,
): Promise<void> {
  await fs.mkdir(trash, 0o700)
  const handles: FileHandle[] = []
  const open = async (dir: string) => {
    const handle = await fs.open(dir, DIR_FLAGS)
    handles.push(handle)
    return handle
  }
  try {
    const targetDir = await open(target)
    const replacementDir = await open(replacement)
    const trashDir = await open(trash)
    let evicted = 0
    const evict = async (name: Buffer) => {
      const trashName = Buffer.concat([Buffer.from(`${evicted++}-`), name])
      await fs.rename(at(targetDir, name), at(trashDir, trashName)).catch((error: unknown) => {
        if (errno(error) !== 'ENOENT') throw error
      })
    }
    for (const name of await fs.readdir(at(targetDir), { encoding: 'buffer' })) await evict(name)
    for (const name of await fs.readdir(at(replacementDir), { encoding: 'buffer' })) {
      for (let attempt = 0; ; attempt++) {
        try {
          await fs.rename(at(replacementDir, name), at(targetDir, name))
          break
        } catch (error) {
          const code = errno(error)
          const collided =
            code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EISDIR' || code === 'ENOTDIR'
          if (!collided || attempt >= RETRIES) throw error
          await evict(name)
        }
      }
    }
    await copyMetadata(targetDir, await replacementDir.stat())
  } finally {
    for (const handle of handles) await handle.close()
  }
}
