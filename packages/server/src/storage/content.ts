/** File content in and out: streamed downloads and atomic, size-capped uploads. */
import { randomBytes } from 'node:crypto'
import { constants, createReadStream, promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { FileInfo } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { escapes, ignoring, isADirectory, mapped, notRegular } from './fs-errors.js'
import { baseName, parentOf, show, type ParsedPath } from './path.js'
import { receive } from './receive.js'
import { at, lstatAt, toInfo, walkDirs, withHandle } from './walk.js'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants

/** Prefix of the temporary file an upload is streamed into before it is renamed into place. */
export const UPLOAD_PREFIX = '.wm-upload-'

/** A file opened for download by `WorkspaceFiles.openRead`. */
export interface OpenedFile {
  /** The content; it closes its descriptor when it ends or is destroyed. */
  stream: Readable
  /** Bytes the stream yields (the size when opened). */
  size: number
  /** Description of the file. */
  info: FileInfo
}

/** A random name for a temporary entry, so concurrent operations never collide. */
export function tempName(prefix: string): string {
  return prefix + randomBytes(8).toString('hex')
}

function tooLarge(rel: string, limit: number, size?: number): ApiError {
  const what = size === undefined ? `Upload to ${show(rel)} is` : `${show(rel)} is ${size} bytes,`
  return new ApiError('PAYLOAD_TOO_LARGE', `${what} over the transfer limit of ${limit} bytes`, {
    path: rel,
    limit,
    ...(size === undefined ? {} : { size }),
  })
}

/** Opens the regular file `p` under `root` for streaming; see `WorkspaceFiles.openRead`. */
export async function openReadAt(
  root: FileHandle,
  p: ParsedPath,
  limit: number,
): Promise<OpenedFile> {
  if (p.parts.length === 0) throw isADirectory('')
  const name = baseName(p)
  const file = await withHandle(walkDirs(root, parentOf(p).parts, { path: p.rel }), (dir) =>
    // O_NONBLOCK: opening a FIFO the sandbox planted must not hang the server.
    mapped(p.rel, () => fs.open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK)),
  )
  try {
    const st = await file.stat()
    if (st.isDirectory()) throw isADirectory(p.rel)
    if (!st.isFile()) throw notRegular(p.rel)
    if (st.size > limit) throw tooLarge(p.rel, limit, st.size)
    const info = toInfo(p.rel, name, st)
    if (st.size === 0) {
      await file.close()
      return { stream: Readable.from([]), size: 0, info }
    }
    // Bounded by the size seen now, so a file growing meanwhile cannot overrun Content-Length.
    // Reads of a MiB: the default 64 KiB made a read and a socket write per 64 KiB. Over the
    // raw descriptor: FileHandle.createReadStream reads through promises, which made a
    // download of a cached GiB several times slower. The handle is closed with the
    // stream, whether it ended or was destroyed (a client gone); with autoClose off (the
    // descriptor is the handle's to close) the stream is not destroyed at its end, so both count.
    const stream = createReadStream('', {
      fd: file.fd,
      autoClose: false,
      start: 0,
      end: st.size - 1,
      highWaterMark: 1 << 20,
    })
    let closing: Promise<void> | undefined
    const close = () => void (closing ??= file.close().catch(() => undefined))
    stream.once('end', close).once('close', close)
    return { stream, size: st.size, info }
  } catch (err) {
    await file.close()
    throw err
  }
}

/** Streams `body` into the file `p` under `root`; see `WorkspaceFiles.write`. */
export async function writeAt(
  root: FileHandle,
  p: ParsedPath,
  body: Readable,
  parents: boolean,
  limit: number,
): Promise<FileInfo> {
  if (p.parts.length === 0) throw isADirectory('')
  const name = baseName(p)
  const opening = walkDirs(root, parentOf(p).parts, { create: parents, path: p.rel })
  return withHandle(opening, async (dir) => {
    // Checked before reading the body so a doomed upload fails fast, and again before the rename.
    await assertReplaceableByFile(dir, name, p.rel)
    const tmpName = tempName(UPLOAD_PREFIX)
    const tmp = await mapped(p.rel, () =>
      fs.open(at(dir, tmpName), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644),
    )
    let renamed = false
    try {
      await receive(body, tmp, p.rel, limit, () => tooLarge(p.rel, limit))
      await tmp.chmod(0o644)
      // Delayed allocation can first report a full disk or quota here, at the flush.
      await mapped(p.rel, () => tmp.sync())
      await assertReplaceableByFile(dir, name, p.rel)
      await mapped(p.rel, () => fs.rename(at(dir, tmpName), at(dir, name)))
      renamed = true
      return toInfo(p.rel, name, await tmp.stat())
    } finally {
      // Unlinked before the close so a failing close cannot leave the temp file behind.
      if (!renamed) await fs.unlink(at(dir, tmpName)).catch(ignoring('ENOENT'))
      await tmp.close()
    }
  })
}

/**
 * Refuses to write a file over a symlink (even one pointing inside: the
 * server never writes through links) or over a directory.
 */
async function assertReplaceableByFile(dir: FileHandle, name: string, rel: string): Promise<void> {
  const st = await lstatAt(dir, name).catch(ignoring('ENOENT'))
  if (!st) return
  if (st.isSymbolicLink()) throw escapes(rel)
  if (st.isDirectory()) throw isADirectory(rel)
}
