/**
 * Where a workspace is served over NFS, and the `mount`/`umount` command
 * lines for it: pure functions of the workspace's `nfsUrl`, the client's
 * `nfsHost`/`nfsPort` and the platform, so the exact argv can be tested
 * anywhere and shown to users without running it.
 *
 * The options follow the server (README, "Mount a workspace"): TCP only;
 * NFSv3 needs the MOUNT port (the NFS port + 1 unless told otherwise) and
 * `nolock`, as the server runs no NLM; every mount is `nosuid,nodev`. macOS's
 * client speaks NFSv4.0 only, so any 4.x asks it for `vers=4`; it takes
 * `resvport` (the exports require a privileged source port), `nolocks` and
 * `rdonly` where Linux takes `nolock` and `ro`.
 */
import { clientError, type NfsFailureReason, type WorkspaceError } from './errors.js'

/** NFS versions `mount` can be asked for. */
export const NFS_VERSIONS = ['3', '4', '4.0', '4.1', '4.2'] as const
/** One of {@link NFS_VERSIONS}. */
export type NfsVersion = (typeof NFS_VERSIONS)[number]

/** Options of `client.nfs.mount` and `client.nfs.mountCommand`. */
export interface NfsMountOptions {
  /** NFS version; default `'4.1'`. */
  version?: NfsVersion | 3 | 4
  /** Mount read-only (`ro`, on macOS `rdonly`). */
  readOnly?: boolean
  /** Extra `mount -o` options, each replacing the built-in one of the same name (e.g. `mountport=2050`). */
  options?: string[]
}

/** One export: the server's host (IPv6 without brackets), NFS port, and export path. */
export interface NfsTarget {
  host: string
  port: number
  exportPath: string
}

const DEFAULT_NFS_PORT = 2049

/** A client-side NFS failure with `details.reason`. */
export function nfsError(
  reason: NfsFailureReason,
  message: string,
  details: Record<string, unknown> = {},
): WorkspaceError {
  return clientError(reason, message, { details })
}

/** `host:/path` as `mount` takes it; an IPv6 host goes in brackets. */
export function mountSource(target: NfsTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  return `${host}:${target.exportPath}`
}

/** Splits `nfs://host:port/path`; a URL this client cannot read is an `invalid-response` error. */
export function parseNfsUrl(nfsUrl: string): NfsTarget {
  let url: URL | undefined
  try {
    url = new URL(nfsUrl)
  } catch {
    url = undefined
  }
  if (!url || url.protocol !== 'nfs:' || !url.hostname || !url.pathname.startsWith('/')) {
    throw clientError(
      'invalid-response',
      `the server sent an nfs_url this client cannot read: ${JSON.stringify(nfsUrl)}`,
      { details: { nfsUrl } },
    )
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : DEFAULT_NFS_PORT,
    exportPath: decodeURIComponent(url.pathname),
  }
}

/**
 * The export to mount: `nfsUrl` with `host`/`port` (client settings)
 * overriding it. A URL naming an unspecified address (`0.0.0.0`, `::`) is
 * reached at `apiHost`. A null `nfsUrl` (NFS off) is an `nfs-disabled` error.
 */
export function resolveNfsTarget(
  nfsUrl: string | null,
  overrides: { host?: string; port?: number; apiHost?: string } = {},
): NfsTarget {
  if (!nfsUrl) {
    throw nfsError(
      'nfs-disabled',
      'NFS is not enabled on the server: this workspace has no nfs_url (the server runs NFS-Ganesha when it is installed, see WM_NFS_ENABLED)',
    )
  }
  const target = parseNfsUrl(nfsUrl)
  let host = overrides.host ?? target.host
  if (!overrides.host && ['0.0.0.0', '::'].includes(host) && overrides.apiHost) {
    host = overrides.apiHost.replace(/^\[|\]$/g, '')
  }
  return { host, port: overrides.port ?? target.port, exportPath: target.exportPath }
}

/** `linux` or `darwin` for `process.platform`; any other platform is an `unsupported-platform` error. */
export function platformKind(platform: string): 'linux' | 'darwin' {
  if (platform === 'linux' || platform === 'darwin') return platform
  throw nfsError(
    'unsupported-platform',
    `mounting workspaces over NFS is supported on Linux and macOS, not on ${platform}`,
  )
}

/** Checks a version (`'3'`, `'4'`, `'4.0'`, `'4.1'`, `'4.2'`, or 3 / 4). */
export function normalizeVersion(version: unknown): NfsVersion {
  const text = String(version).trim().toLowerCase().replace(/^v/, '')
  const found = NFS_VERSIONS.find((known) => known === text)
  if (typeof version === 'boolean' || !found) {
    throw new RangeError(
      `NFS version must be one of ${NFS_VERSIONS.join(', ')}, got ${JSON.stringify(version)}`,
    )
  }
  return found
}

const optionName = (option: string) => option.split('=', 1)[0]

/** `base` with each extra option replacing the one of the same name, or appended. */
export function mergeOptions(base: string[], extra: readonly string[] = []): string[] {
  const merged = [...base]
  for (const option of extra) {
    if (typeof option !== 'string' || option === '' || /[,\s]/.test(option)) {
      throw new RangeError(
        `a mount option is one word such as soft or timeo=50, got ${JSON.stringify(option)}`,
      )
    }
    const at = merged.findIndex((present) => optionName(present) === optionName(option))
    if (at >= 0) merged[at] = option
    else merged.push(option)
  }
  return merged
}

/** The `-o` options, in order, for `platform`. */
export function mountOptions(
  platform: 'linux' | 'darwin',
  port: number,
  version: NfsVersion,
  readOnly: boolean,
  extra: readonly string[] = [],
): string[] {
  const v3 = version === '3'
  const mountPort = v3 && port < 65535 ? [`mountport=${port + 1}`] : []
  const options =
    platform === 'linux'
      ? [`vers=${version}`, `port=${port}`]
      : [`vers=${v3 ? '3' : '4'}`, `port=${port}`]
  if (platform === 'linux') {
    if (v3) options.push(...mountPort, 'mountproto=tcp', 'nolock')
    options.push('proto=tcp', 'nosuid', 'nodev', ...(readOnly ? ['ro'] : []))
  } else {
    if (v3) options.push(...mountPort, 'nolocks')
    options.push('proto=tcp', 'resvport', 'nosuid', 'nodev', ...(readOnly ? ['rdonly'] : []))
  }
  return mergeOptions(options, extra)
}

/** `mount -t nfs -o OPTIONS host:/path MOUNT_POINT` for `platform` (a `process.platform` value). */
export function mountArgv(
  platform: string,
  target: NfsTarget,
  mountPoint: string,
  options: NfsMountOptions = {},
): string[] {
  const kind = platformKind(platform)
  const version = normalizeVersion(options.version ?? '4.1')
  const opts = mountOptions(kind, target.port, version, options.readOnly === true, options.options)
  return ['mount', '-t', 'nfs', '-o', opts.join(','), mountSource(target), mountPoint]
}

/** `umount [-f] MOUNT_POINT` (the same on Linux and macOS). */
export function umountArgv(platform: string, mountPoint: string, force = false): string[] {
  platformKind(platform)
  return ['umount', ...(force ? ['-f'] : []), mountPoint]
}
