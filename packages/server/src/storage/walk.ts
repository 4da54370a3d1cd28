/**
 * Path resolution without trusting path strings. Node has no openat(), so a
 * directory is addressed through its open descriptor as `/proc/self/fd/<fd>`:
 * the kernel follows that magic link to the very directory the descriptor
 * holds, wherever it has been moved since, and only the one name after it is
 * looked up. Every such lookup uses O_NOFOLLOW (or a syscall that never
 * follows its last component), so a symlink the sandbox plants or swaps in is
 * seen as a symlink and refused, never followed out of the workspace.
 */
import { constants, promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import type { FileInfo } from '@workspace-manager/protocol'
import { errno, escapes, fsError, notADirectory, notFound } from './fs-errors.js'
import { joinRel } from './path.js'

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants

/** Flags for opening a directory without following a symlink in its place. */
export const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW

/** A directory name as read from disk (bytes) or given by a client (string). */
export type Name = string | Buffer

/**
 * The path naming `name` inside the directory held by `dir` (or the directory
 * itself when `name` is omitted). Buffer names keep file names that are not
 * valid UTF-8 addressable.
 */
export function at(dir: FileHandle, name?: Name): string | Buffer {
  const base = `/proc/self/fd/${dir.fd}`
  if (name === undefined) return base
  if (typeof name === 'string') return `${base}/${name}`
  return Buffer.concat([Buffer.from(`${base}/`), name])
}

/** Opens the directory `name` inside `dir`; fails with ELOOP/ENOTDIR if it is a symlink. */
export function openDirAt(dir: FileHandle, name: Name): Promise<FileHandle> {
  return fs.open(at(dir, name), DIR_FLAGS)
}

/**
 * A second descriptor for the directory `dir` holds. Following the
 * `/proc/self/fd/N` magic link yields the same open directory, not a fresh
 * lookup of its path, so this cannot be redirected.
 */
export function reopen(dir: FileHandle): Promise<FileHandle> {
  return fs.open(at(dir), O_RDONLY | O_DIRECTORY)
}

/** lstat of `name` inside `dir` (the last component is never followed). */
export function lstatAt(dir: FileHandle, name: Name): Promise<Stats> {
  return fs.lstat(at(dir, name))
}

/** Describes an entry from its lstat/fstat result. */
export function toInfo(rel: string, name: string, st: Stats): FileInfo {
  const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : 'file'
  // A sandbox can set any mtime; one outside Date's range must not break a listing.
  const mtime = st.mtime
  const modified = Number.isNaN(mtime.getTime()) ? null : mtime.toISOString()
  return { name, path: rel, type, size: st.size, modified_at: modified }
}

/** Describes `name` inside `dir` by lstat, translating failures for `rel`. */
export async function infoAt(dir: FileHandle, name: string, rel: string): Promise<FileInfo> {
  try {
    return toInfo(rel, name, await lstatAt(dir, name))
  } catch (err) {
    throw fsError(err, rel)
  }
}

/** Options of {@link walkDirs}. */
export interface WalkOptions {
  /** Create missing directories (mode 0o755) instead of failing with FILE_NOT_FOUND. */
  create?: boolean
  /** The path the client asked for, reported in error details. */
  path?: string
}

/**
 * Opens the directory reached by following `parts` from `root`, one
 * component at a time, each opened with O_NOFOLLOW|O_DIRECTORY through the
 * descriptor of the one before. Returns a new handle the caller must close;
 * `root` stays open and owned by the caller.
 *
 * Errors: a symlink component → PATH_ESCAPES_WORKSPACE, a missing one →
 * FILE_NOT_FOUND, a non-directory → NOT_A_DIRECTORY, each naming the
 * component's relative path.
 */
export async function walkDirs(
  root: FileHandle,
  parts: readonly string[],
  opts: WalkOptions = {},
): Promise<FileHandle> {
  let cur = await reopen(root)
  let rel = ''
  for (const name of parts) {
    rel = joinRel(rel, name)
    const here = rel
    let next: FileHandle
    try {
      next = await step(cur, name, opts.create === true).catch((err: unknown) =>
        classifyStepError(cur, name, err, here, opts.path ?? here),
      )
    } finally {
      await cur.close()
    }
    cur = next
  }
  return cur
}

async function step(dir: FileHandle, name: string, create: boolean): Promise<FileHandle> {
  try {
    return await openDirAt(dir, name)
  } catch (err) {
    if (!create || errno(err) !== 'ENOENT') throw err
  }
  try {
    await fs.mkdir(at(dir, name), 0o755)
  } catch (err) {
    // Created concurrently is as good as created by us; what it is gets checked by the open.
    if (errno(err) !== 'EEXIST') throw err
  }
  return openDirAt(dir, name)
}

/**
 * Why opening `name` as a directory failed. With O_DIRECTORY|O_NOFOLLOW Linux
 * reports a symlink as ENOTDIR (or ELOOP), the same as a regular file, so an
 * lstat tells them apart; it only picks the error, it grants nothing.
 */
async function classifyStepError(
  dir: FileHandle,
  name: string,
  err: unknown,
  rel: string,
  path: string,
): Promise<never> {
  const code = errno(err)
  if (code !== 'ENOTDIR' && code !== 'ELOOP') throw fsError(err, rel, path)
  const st = await lstatAt(dir, name).catch(() => undefined)
  if (st === undefined) throw notFound(rel, path)
  // A directory here means it was swapped back after the open saw a symlink.
  if (code === 'ELOOP' || st.isSymbolicLink() || st.isDirectory()) throw escapes(rel, path)
  throw notADirectory(rel, path)
}

/** Awaits a handle, runs `fn` with it and closes it whatever happens. */
export async function withHandle<T>(
  opening: Promise<FileHandle>,
  fn: (h: FileHandle) => Promise<T>,
): Promise<T> {
  const h = await opening
  try {
    return await fn(h)
  } finally {
    await h.close()
  }
}
