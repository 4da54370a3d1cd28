import { ClientErrorCodes } from '@workspace-manager/protocol'
/**
 * The local side of `client.nfs`: running `mount`/`umount` on a
 * {@link LocalSystem} and turning their failures into clear errors, each a
 * `WorkspaceError` (code 0, status 0) whose `details.reason` names the case.
 */
import { mkdir, realpath, rmdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { PermissionDeniedError, type WorkspaceError } from '../errors.js'
import { findMount, isNfs, type MountEntry } from '../mount-table.js'
import {
  mountArgv,
  nfsError,
  platformKind,
  umountArgv,
  type NfsMountOptions,
  type NfsTarget,
} from '../nfs-command.js'
import type { CommandOutcome, LocalSystem } from './local-system.js'

/** Packages that provide Linux's NFS mount helper, for error messages. */
export const NFS_CLIENT_PACKAGES =
  'nfs-common (Debian/Ubuntu: sudo apt-get install nfs-common) or nfs-utils (Fedora/RHEL/Arch)'
const UNPRIVILEGED = /superuser|root|not permitted|permission denied/i
const NO_KERNEL_NFS = /unknown filesystem type|no such device/i

/** `path` with `~` expanded, made absolute and normalised (symlinks kept). */
export function absolutePath(path: string): string {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path
  return resolve(expanded)
}

function permissionError(message: string, details: Record<string, unknown> = {}): WorkspaceError {
  return new PermissionDeniedError({
    code: ClientErrorCodes.NFS_FAILED,
    status: 0,
    message,
    details: { reason: 'permission', ...details },
  })
}

const errnoOf = (error: unknown) => (error as { code?: unknown } | null)?.code

/** Mounts, unmounts and inspects mounts on one {@link LocalSystem}. */
export class LocalNfs {
  /** The machine acted on. */
  readonly system: LocalSystem

  constructor(system: LocalSystem) {
    this.system = system
  }

  /** Mounts `target` on `mountPoint` (made if missing) and resolves to it, absolute. */
  async mount(target: NfsTarget, mountPoint: string, options: NfsMountOptions): Promise<string> {
    const point = absolutePath(mountPoint)
    const argv = mountArgv(this.system.platform, target, point, options)
    if (
      platformKind(this.system.platform) === 'linux' &&
      !(await this.system.findTool('mount.nfs'))
    )
      throw nfsError(
        'tools-missing',
        `the NFS client is not installed (no mount.nfs): install ${NFS_CLIENT_PACKAGES}`,
      )
    if ((await this.find(point)).entry)
      throw nfsError('already-mounted', `${point} is already an NFS mount point; unmount it first`)
    const created = await this.#prepareMountPoint(point)
    try {
      await this.#run(argv)
    } catch (error) {
      if (created) await rmdir(point).catch(() => undefined)
      throw error
    }
    return point
  }

  /**
   * The NFS mount on `path`, compared as given and then with symlinks
   * resolved (the given path first, so a mount whose server is gone is found
   * without touching it).
   */
  async find(path: string): Promise<{ entry: MountEntry | undefined; point: string }> {
    const point = absolutePath(path)
    const entries = await this.system.mountTable()
    let entry = findMount(entries, point)
    if (!entry) {
      const real = await realpath(point).catch(() => point)
      if (real !== point) entry = findMount(entries, real)
    }
    return { entry: entry && isNfs(entry) ? entry : undefined, point }
  }

  /** `umount [-f]` the NFS mount on `path`; a `not-mounted` error if there is none. */
  async unmount(path: string, force: boolean): Promise<void> {
    platformKind(this.system.platform)
    const { entry, point } = await this.find(path)
    if (!entry) throw nfsError('not-mounted', `${point} is not an NFS mount point`)
    await this.#run(umountArgv(this.system.platform, entry.mountPoint, force))
  }

  /** Makes `point` if missing; true if it was made here (and so is removed on failure). */
  async #prepareMountPoint(point: string): Promise<boolean> {
    const existing = await stat(point).catch(() => undefined)
    if (existing?.isDirectory()) return false
    if (existing) throw nfsError('bad-mount-point', `the mount point ${point} is not a directory`)
    try {
      await mkdir(point, { recursive: true })
      return true
    } catch (error) {
      if (errnoOf(error) === 'EACCES' || errnoOf(error) === 'EPERM') {
        throw permissionError(
          `cannot create the mount point ${point}: permission denied; create it first or run as root (e.g. with sudo)`,
          { point },
        )
      }
      const detail = error instanceof Error ? error.message : String(error)
      throw nfsError('bad-mount-point', `cannot create the mount point ${point}: ${detail}`)
    }
  }

  async #run(argv: string[]): Promise<void> {
    const name = argv[0] ?? ''
    let outcome: CommandOutcome
    try {
      outcome = await this.system.run(argv)
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') {
        const where =
          this.system.platform === 'darwin'
            ? 'it is part of macOS: check PATH'
            : 'install util-linux (Debian/Ubuntu: the mount package)'
        throw nfsError('tools-missing', `${name} was not found: ${where}`, { command: argv })
      }
      if (errnoOf(error) === 'EACCES')
        throw permissionError(`${name} could not be run: permission denied`, { command: argv })
      throw error
    }
    if (outcome.exitCode !== 0) throw this.#failure(argv, outcome)
  }

  #failure(argv: string[], outcome: CommandOutcome): WorkspaceError {
    const name = argv[0] ?? ''
    const stderr = (outcome.stderr.trim() || outcome.stdout.trim()).slice(-2000)
    const details = { command: argv, exitCode: outcome.exitCode, stderr }
    if (!this.system.isRoot() && UNPRIVILEGED.test(stderr)) {
      return permissionError(
        `${name} needs root privileges: run as root (e.g. with sudo). ${name}: ${stderr}`,
        details,
      )
    }
    if (name === 'mount' && NO_KERNEL_NFS.test(stderr)) {
      return nfsError(
        'tools-missing',
        `this kernel has no NFS client (load it with sudo modprobe nfs, or install ${NFS_CLIENT_PACKAGES}). mount: ${stderr}`,
        details,
      )
    }
    const busy =
      name === 'umount' && /busy/i.test(stderr)
        ? ' (close the files and shells using it, or unmount with force)'
        : ''
    return nfsError(
      name === 'umount' ? 'umount-failed' : 'mount-failed',
      `${argv.join(' ')} failed with exit code ${outcome.exitCode}: ${stderr}${busy}`,
      details,
    )
  }
}
