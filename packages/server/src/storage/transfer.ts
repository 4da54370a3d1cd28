/** Copy and move between two paths of one workspace. */
import { promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { FileInfo } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import {
  alreadyExists,
  errno,
  escapes,
  fsError,
  ignoring,
  isADirectory,
  mapped,
  notADirectory,
} from './fs-errors.js'
import { baseName, isWithin, parentOf, show, type ParsedPath } from './path.js'
import { tempName } from './content.js'
import { copyEntry, removeEntry } from './tree.js'
import { at, infoAt, lstatAt, walkDirs, withHandle } from './walk.js'

/** Prefix of the temporary entry a copy is built in before it is renamed into place. */
export const COPY_PREFIX = '.wm-copy-'

type Op = 'copy' | 'move'

function intoItself(op: Op, s: ParsedPath, d: ParsedPath): ApiError {
  const verb = op === 'copy' ? 'Cannot copy' : 'Cannot move'
  return new ApiError('VALIDATION', `${verb} ${show(s.rel)} into itself (${show(d.rel)})`, {
    source: s.rel,
    destination: d.rel,
  })
}

/**
 * Walks to both parents, checks the source exists and the destination may be
 * (re)placed, then runs `act` with both parent directories open.
 */
async function transfer(
  op: Op,
  root: FileHandle,
  s: ParsedPath,
  d: ParsedPath,
  overwrite: boolean,
  act: (sdir: FileHandle, sname: string, ddir: FileHandle, dname: string) => Promise<void>,
): Promise<FileInfo> {
  if (op === 'move' && s.parts.length === 0) {
    throw new ApiError('VALIDATION', 'Cannot move the workspace root', { source: '' })
  }
  // The root always exists and holds every path.
  if (s.parts.length === 0) throw intoItself(op, s, d)
  return withHandle(walkDirs(root, parentOf(s).parts, { path: s.rel }), async (sdir) => {
    const sname = baseName(s)
    // A missing source is 404 whatever the destination, so this comes first.
    const st = await mapped(s.rel, () => lstatAt(sdir, sname))
    if (isWithin(d, s)) throw intoItself(op, s, d)
    // The root always exists and is a directory, so it is never a valid destination.
    if (d.parts.length === 0) throw overwrite ? isADirectory('') : alreadyExists('')
    return withHandle(walkDirs(root, parentOf(d).parts, { path: d.rel }), async (ddir) => {
      const dname = baseName(d)
      await assertReplaceable(ddir, dname, d.rel, st.isDirectory(), overwrite)
      await act(sdir, sname, ddir, dname)
      return infoAt(ddir, dname, d.rel)
    })
  })
}

/**
 * Whether a copy/move may land on `name`: free, or (with `overwrite`) a file
 * replaced by a non-directory. Directories and symlinks are never replaced.
 */
async function assertReplaceable(
  dir: FileHandle,
  name: string,
  rel: string,
  sourceIsDir: boolean,
  overwrite: boolean,
): Promise<void> {
  const st = await lstatAt(dir, name).catch(ignoring('ENOENT'))
  if (!st) return
  if (!overwrite) throw alreadyExists(rel)
  if (st.isSymbolicLink()) throw escapes(rel)
  if (st.isDirectory()) throw isADirectory(rel, rel, ' and cannot be overwritten')
  if (sourceIsDir) throw notADirectory(rel)
}

/** Copies `s` to `d` under `root`; see `WorkspaceFiles.copy`. */
export function copyAt(
  root: FileHandle,
  s: ParsedPath,
  d: ParsedPath,
  overwrite: boolean,
): Promise<FileInfo> {
  return transfer('copy', root, s, d, overwrite, async (sdir, sname, ddir, dname) => {
    const tmpName = tempName(COPY_PREFIX)
    let renamed = false
    try {
      await copyEntry(sdir, sname, ddir, tmpName, s.rel)
      await mapped(d.rel, () => fs.rename(at(ddir, tmpName), at(ddir, dname)))
      renamed = true
    } finally {
      // Best effort: the error that got us here is the one worth reporting.
      if (!renamed) await removeEntry(ddir, tmpName, d.rel).catch(() => undefined)
    }
  })
}

/** Moves `s` to `d` under `root` with one rename(2); see `WorkspaceFiles.move`. */
export function moveAt(
  root: FileHandle,
  s: ParsedPath,
  d: ParsedPath,
  overwrite: boolean,
): Promise<FileInfo> {
  return transfer('move', root, s, d, overwrite, async (sdir, sname, ddir, dname) => {
    try {
      await fs.rename(at(sdir, sname), at(ddir, dname))
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOENT') throw fsError(err, s.rel)
      // The kernel's own refusal to move a directory below itself.
      if (code === 'EINVAL') throw intoItself('move', s, d)
      throw fsError(err, d.rel)
    }
  })
}
