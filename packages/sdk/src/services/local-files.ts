/** Local-disk ends of uploads and downloads: sized reads, atomic writes. */
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { clientError, transferTooLargeError, WorkspaceError } from '../errors.js'

function localFileError(action: string, localPath: string, error: unknown): WorkspaceError {
  const detail = error instanceof Error ? error.message : String(error)
  return clientError('local-file', `${action} ${localPath} failed: ${detail}`, {
    cause: error,
    details: { localPath },
  })
}

/** Opens a local regular file for upload, refusing it up front when it is over the cap. */
export async function openLocalFile(
  localPath: string,
  limitBytes: number,
): Promise<{ stream: Readable; length: number }> {
  const stats = await stat(localPath).catch((error: unknown) => {
    throw localFileError('reading', localPath, error)
  })
  if (!stats.isFile()) {
    throw clientError('local-file', `${localPath} is not a regular file`, {
      details: { localPath },
    })
  }
  if (stats.size > limitBytes)
    throw transferTooLargeError(limitBytes, `${localPath} (${stats.size} bytes)`)
  return { stream: createReadStream(localPath), length: stats.size }
}

/**
 * Writes a stream to a temporary file beside `localPath` and renames it into
 * place once complete; on any failure the temporary file is removed and
 * `localPath` is left as it was. Resolves to the number of bytes written.
 */
export async function writeFileAtomically(source: Readable, localPath: string): Promise<number> {
  const target = resolve(localPath)
  const suffix = randomBytes(6).toString('hex')
  const temporary = join(dirname(target), `.${basename(target)}.${suffix}.part`)
  try {
    await pipeline(source, createWriteStream(temporary, { flags: 'wx' }))
    const { size } = await stat(temporary)
    await rename(temporary, target)
    return size
  } catch (error) {
    await rm(temporary, { force: true })
    throw error instanceof WorkspaceError ? error : localFileError('writing', localPath, error)
  }
}
