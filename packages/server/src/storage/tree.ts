/**
 * Recursive remove and copy over directory descriptors. fs.rm({recursive})
 * and fs.cp re-resolve path strings at every level, so a directory swapped
 * for a symlink mid-walk would redirect them out of the workspace; these walk
 * from open descriptors instead and never follow a symlink.
 */
import { constants, promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { ApiError } from '../errors.js'
import { errno, fsError, notRegular } from './fs-errors.js'
import { joinRel, show } from './path.js'
import { at, lstatAt, openDirAt, type Name } from './walk.js'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants

/**
 * Deepest directory nesting the recursive walks descend. Each level holds a
 * descriptor, and a sandbox can nest directories without bound, so the walk
 * stops with an error rather than exhausting descriptors.
 */
export const MAX_TREE_DEPTH = 512

/** Times an entry the sandbox keeps changing is retried before giving up. */
const RETRIES = 5

const COPY_CHUNK = 1 << 20

function nameText(name: Name): string {
  return typeof name === 'string' ? name : name.toString('utf8')
}

function tooDeep(rel: string): ApiError {
  return new ApiError(
    'VALIDATION',
    `${show(rel)} is nested more than ${MAX_TREE_DEPTH} directories deep`,
    { path: rel },
  )
}

/** Writes all of `buf` (a write may be partial). */
/** Writes every byte of `buffers`, in order, with as few calls as the kernel allows. */
export async function writeAllv(handle: FileHandle, buffers: Uint8Array[]): Promise<void> {
  const rest = buffers.filter((buf) => buf.length > 0)
  while (rest.length) {
    const { bytesWritten } = await handle.writev(rest)
    let skip = bytesWritten
    while (rest.length && skip >= rest[0]!.length) skip -= rest.shift()!.length
    if (skip && rest.length) rest[0] = rest[0]!.subarray(skip)
  }
}

export async function writeAll(handle: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off)
    off += bytesWritten
  }
}

/**
 * Removes `name` inside `parent`, whatever it is: a file or symlink is
 * unlinked (a symlink's target is never touched), a directory is emptied
 * through its own descriptor and then removed. An entry that changes type
 * while being removed (the sandbox swapping it) is looked at again. Absent
 * already is success.
 */
export async function removeEntry(
  parent: FileHandle,
  name: Name,
  rel: string,
  depth = 0,
): Promise<void> {
  if (depth > MAX_TREE_DEPTH) throw tooDeep(rel)
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    let isDir: boolean
    try {
      isDir = (await lstatAt(parent, name)).isDirectory()
    } catch (err) {
      if (errno(err) === 'ENOENT') return
      throw fsError(err, rel)
    }
    try {
      if (!isDir) {
        await fs.unlink(at(parent, name))
        return
      }
      const dir = await openDirAt(parent, name)
      try {
        await removeContents(dir, rel, depth)
      } finally {
        await dir.close()
      }
      await fs.rmdir(at(parent, name))
      return
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOENT') return
      // Type changed under us (EISDIR, ENOTDIR, ELOOP) or entries were added (ENOTEMPTY): look again.
      if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENOTEMPTY') {
        continue
      }
      throw fsError(err, rel)
    }
  }
  throw new ApiError('IS_A_DIRECTORY', `${show(rel)} kept changing while it was being removed`, {
    path: rel,
  })
}

async function removeContents(dir: FileHandle, rel: string, depth: number): Promise<void> {
  const names = await fs.readdir(at(dir), { encoding: 'buffer' })
  for (const name of names) {
    await removeEntry(dir, name, joinRel(rel, nameText(name)), depth + 1)
  }
}

/** An error meaning the entry changed type between our lstat and our use of it. */
function typeChanged(err: unknown): boolean {
  const code = errno(err)
  return code === 'EINVAL' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR'
}

/**
 * Copies the regular file `srcName` in `srcDir` to a new file `dstName` in
 * `dstDir` (which must not exist), keeping its permission bits. Both opens
 * use O_NOFOLLOW, and the destination O_EXCL, so neither end can be a
 * planted symlink. Returns false, copying nothing, for a FIFO, socket or
 * device (O_NONBLOCK keeps a FIFO from blocking the open).
 */
async function copyFileAt(
  srcDir: FileHandle,
  srcName: Name,
  dstDir: FileHandle,
  dstName: Name,
): Promise<boolean> {
  const src = await fs.open(at(srcDir, srcName), O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
  try {
    const st = await src.stat()
    if (st.isDirectory()) throw Object.assign(new Error('became a directory'), { code: 'EISDIR' })
    if (!st.isFile()) return false
    const dst = await fs.open(at(dstDir, dstName), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
    try {
      const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(st.size, 1)))
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length, null)
        if (bytesRead === 0) break
        await writeAll(dst, buf.subarray(0, bytesRead))
      }
      await dst.chmod(st.mode & 0o777)
    } finally {
      await dst.close()
    }
    return true
  } finally {
    await src.close()
  }
}

/** Copies directory `srcName` in `srcDir` to a new directory `dstName` in `dstDir`, recursively. */
async function copyDirAt(
  srcDir: FileHandle,
  srcName: Name,
  dstDir: FileHandle,
  dstName: Name,
  rel: string,
  depth: number,
): Promise<void> {
  if (depth >= MAX_TREE_DEPTH) throw tooDeep(rel)
  await fs.mkdir(at(dstDir, dstName), 0o700)
  let src: FileHandle
  try {
    src = await openDirAt(srcDir, srcName)
  } catch (err) {
    // Swapped for something else since the lstat: undo our mkdir so a retry starts clean.
    await fs.rmdir(at(dstDir, dstName))
    throw err
  }
  try {
    const dst = await openDirAt(dstDir, dstName)
    try {
      const names = await fs.readdir(at(src), { encoding: 'buffer' })
      for (const name of names) {
        await copyEntry(src, name, dst, name, joinRel(rel, nameText(name)), depth + 1)
      }
      await dst.chmod((await src.stat()).mode & 0o777)
    } finally {
      await dst.close()
    }
  } finally {
    await src.close()
  }
}

/**
 * Copies the entry `srcName` in `srcDir` to the new name `dstName` in
 * `dstDir`: a directory recursively, a regular file by content, a symlink as
 * a symlink with the same target text (never followed). An entry that
 * changes type under us is looked at again. At the top of a copy (depth 0) a
 * missing source is FILE_NOT_FOUND and a FIFO, socket or device is refused;
 * below it they are skipped. `rel` names the source in errors.
 */
export async function copyEntry(
  srcDir: FileHandle,
  srcName: Name,
  dstDir: FileHandle,
  dstName: Name,
  rel: string,
  depth = 0,
): Promise<void> {
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    let st
    try {
      st = await lstatAt(srcDir, srcName)
    } catch (err) {
      // Below the top, an entry removed since the readdir is simply not copied.
      if (errno(err) === 'ENOENT' && depth > 0) return
      throw fsError(err, rel)
    }
    try {
      if (st.isSymbolicLink()) {
        const target = await fs.readlink(at(srcDir, srcName), { encoding: 'buffer' })
        await fs.symlink(target, at(dstDir, dstName))
      } else if (st.isDirectory()) {
        await copyDirAt(srcDir, srcName, dstDir, dstName, rel, depth)
      } else if (st.isFile()) {
        if (!(await copyFileAt(srcDir, srcName, dstDir, dstName)) && depth === 0) {
          throw notRegular(rel)
        }
      } else if (depth === 0) {
        throw notRegular(rel)
      }
      return
    } catch (err) {
      if (typeChanged(err)) continue
      throw fsError(err, rel)
    }
  }
  throw new ApiError('VALIDATION', `${show(rel)} kept changing while it was being copied`, {
    path: rel,
  })
}
