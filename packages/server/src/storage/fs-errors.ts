import { constants } from 'node:os'
import { ApiError } from '../errors.js'
import { show } from './path.js'

/** Linux's "Disk quota exceeded", which libuv has no name for ("Unknown system error -122"). */
const EDQUOT = constants.errno.EDQUOT

/** The `code` of a Node system error (`ENOENT`, ...), or `undefined`. */
export function errno(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    if ((err as { errno?: unknown }).errno === -EDQUOT) return 'EDQUOT'
    const code = (err as { code: unknown }).code
    return typeof code === 'string' ? code : undefined
  }
  return undefined
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** `rel` does not exist. */
export function notFound(rel: string, path = rel): ApiError {
  return new ApiError('FILE_NOT_FOUND', `${capital(show(rel))} does not exist`, { path })
}

/** `rel` is a symlink the server refuses to follow or touch through. */
export function escapes(rel: string, path = rel): ApiError {
  return new ApiError(
    'PATH_ESCAPES_WORKSPACE',
    `${capital(show(rel))} is a symlink; the server never follows symlinks in a workspace`,
    { path },
  )
}

/** `rel` was expected to be a directory. */
export function notADirectory(rel: string, path = rel): ApiError {
  return new ApiError('NOT_A_DIRECTORY', `${capital(show(rel))} is not a directory`, { path })
}

/** `rel` is a directory where a file was expected (or a non-empty one where an empty one was). */
export function isADirectory(rel: string, path = rel, why = ''): ApiError {
  return new ApiError('IS_A_DIRECTORY', `${capital(show(rel))} is a directory${why}`, { path })
}

/** `rel` exists and may not be replaced. */
export function alreadyExists(rel: string, path = rel): ApiError {
  return new ApiError('ALREADY_EXISTS', `${capital(show(rel))} already exists`, { path })
}

/** `rel` is a FIFO, socket or device, which the server neither reads nor copies. */
export function notRegular(rel: string, path = rel): ApiError {
  return new ApiError(
    'VALIDATION',
    `${capital(show(rel))} is not a regular file (FIFO, socket or device)`,
    { path },
  )
}

/**
 * Translates a failed syscall on `rel` into the API error a client should
 * see. The original error is returned unchanged when no mapping fits; it then
 * surfaces as 500 with its message (which may name `/proc/self/fd/...`, never
 * the data directory) kept out of the reply.
 */
export function fsError(err: unknown, rel: string, path = rel): unknown {
  switch (errno(err)) {
    case 'ENOENT':
      return notFound(rel, path)
    case 'ELOOP':
      return escapes(rel, path)
    case 'ENOTDIR':
      return notADirectory(rel, path)
    case 'EISDIR':
      return isADirectory(rel, path)
    case 'ENOTEMPTY':
      return isADirectory(rel, path, ' and is not empty')
    case 'EEXIST':
      return alreadyExists(rel, path)
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ApiError('PERMISSION_DENIED', `Permission denied on ${show(rel)}`, { path })
    case 'ENAMETOOLONG':
      return new ApiError('VALIDATION', `Path ${show(rel)} is too long`, { path })
    case 'EDQUOT':
      return new ApiError('QUOTA_EXCEEDED', `Disk quota exceeded writing ${show(rel)}`, { path })
    case 'ENOSPC':
      return new ApiError('QUOTA_EXCEEDED', `No space left on the device writing ${show(rel)}`, {
        path,
      })
    case 'ENXIO':
      return notRegular(rel, path)
    default:
      return err
  }
}

/** Runs `op`, translating a failure with {@link fsError}. */
export async function mapped<T>(rel: string, op: () => Promise<T>, path = rel): Promise<T> {
  try {
    return await op()
  } catch (err) {
    throw fsError(err, rel, path)
  }
}

/** Swallows the listed errno codes (e.g. ENOENT on best-effort cleanup), rethrowing others. */
export function ignoring(...codes: string[]): (err: unknown) => void {
  return (err) => {
    if (!codes.includes(errno(err) ?? '')) throw err
  }
}

/**
 * Runs a describe operation for a listing entry; an entry removed since the
 * directory was read yields `undefined` (it is simply not there any more).
 */
export async function infoOrGone<T>(rel: string, op: () => Promise<T>): Promise<T | undefined> {
  try {
    return await op()
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined
    throw fsError(err, rel)
  }
}
