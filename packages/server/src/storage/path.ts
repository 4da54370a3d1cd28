import { ApiError } from '../errors.js'

/** Longest accepted path, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096
/** Longest accepted single name, in UTF-8 bytes (Linux NAME_MAX). */
export const MAX_NAME_BYTES = 255

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,128}$/

/** A workspace-relative path split into its components; `parts` is empty for the root. */
export interface ParsedPath {
  /** Components, none of them empty, `.` or `..`. */
  readonly parts: readonly string[]
  /** The normalised relative path (`parts` joined by `/`); `""` for the root. */
  readonly rel: string
}

/**
 * Parses a client-supplied workspace path. Only the lexical shape is checked
 * here; symlinks are dealt with while walking, one component at a time.
 */
export function parsePath(input: string): ParsedPath {
  if (typeof input !== 'string') {
    throw new ApiError('VALIDATION', 'A path must be a string')
  }
  // Checked before anything else so that a NUL never reaches a message or a syscall.
  if (input.includes('\0')) {
    throw new ApiError('PATH_ESCAPES_WORKSPACE', 'A path must not contain NUL bytes')
  }
  if (input.startsWith('/')) {
    throw new ApiError(
      'PATH_ESCAPES_WORKSPACE',
      `Path '${input}' is absolute; paths are relative to the workspace root`,
      { path: input },
    )
  }
  const parts = input.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) {
    throw new ApiError(
      'PATH_ESCAPES_WORKSPACE',
      `Path '${input}' contains a '..' component, which is not allowed`,
      { path: input },
    )
  }
  if (Buffer.byteLength(input) > MAX_PATH_BYTES) {
    throw new ApiError('VALIDATION', `Path is longer than ${MAX_PATH_BYTES} bytes`)
  }
  for (const part of parts) {
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) {
      throw new ApiError(
        'VALIDATION',
        `Path '${input}' has a name longer than ${MAX_NAME_BYTES} bytes`,
        { path: input },
      )
    }
  }
  return { parts, rel: parts.join('/') }
}

/** Throws unless `id` has the shape of a workspace id (it becomes a directory name). */
export function assertWorkspaceId(id: string): void {
  if (typeof id !== 'string' || !WORKSPACE_ID.test(id)) {
    throw new ApiError('VALIDATION', 'Invalid workspace id')
  }
}

/** Joins a parent relative path and a child name. */
export function joinRel(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`
}

/** Last component of a parsed, non-root path. */
export function baseName(p: ParsedPath): string {
  return p.parts[p.parts.length - 1] ?? ''
}

/** The parsed path of the parent directory of `p` (the root is its own parent). */
export function parentOf(p: ParsedPath): ParsedPath {
  const parts = p.parts.slice(0, -1)
  return { parts, rel: parts.join('/') }
}

/** True when `inner` is `outer` or lies below it. */
export function isWithin(inner: ParsedPath, outer: ParsedPath): boolean {
  return (
    inner.parts.length >= outer.parts.length && outer.parts.every((p, i) => inner.parts[i] === p)
  )
}

/** How a relative path is named in error messages. */
export function show(rel: string): string {
  return rel === '' ? 'the workspace root' : `'${rel}'`
}
