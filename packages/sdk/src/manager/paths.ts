/**
 * Paths as seed-000 callers give them, mapped onto the workspace: relative
 * paths pass unchanged, absolute ones must lie under the working directory
 * (`CONTAINER_WORKSPACE_DIR`) and are made relative; others are refused here.
 */
import { posix } from 'node:path'
import { PermissionDeniedError } from '../errors.js'

/** The server's code for a path outside the workspace. */
const PATH_ESCAPES = 5006

function normalAbsolute(path: string): string {
  return `/${posix.normalize(path).replace(/^\/+/, '')}`
}

/** `path` relative to the workspace root (`''` is the root itself). */
export function workspacePath(path: string, workdir: string): string {
  if (!path.startsWith('/')) return path
  const normal = normalAbsolute(path)
  const root = normalAbsolute(workdir).replace(/(.)\/+$/, '$1')
  if (normal === root) return ''
  const prefix = root.endsWith('/') ? root : `${root}/`
  if (normal.startsWith(prefix)) return normal.slice(prefix.length)
  throw new PermissionDeniedError({
    code: PATH_ESCAPES,
    status: 0,
    message: `${JSON.stringify(path)} is outside the workspace directory ${root} (CONTAINER_WORKSPACE_DIR): give a path relative to the workspace, or one under ${root}`,
    details: { path, workdir: root },
  })
}

/** Where a command runs: `workdir` by default; a relative `cwd` is taken inside it. */
export function workingDirectory(cwd: string | undefined, workdir: string): string {
  if (cwd === undefined) return workdir
  return cwd.startsWith('/') ? cwd : posix.join(workdir, cwd)
}
