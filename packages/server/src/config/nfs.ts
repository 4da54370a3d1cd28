/**
 * The NFS server's variables (WM_NFS_*): where ganesha listens, who may
 * mount, and the host written in each workspace's `nfs_url`.
 */
import { isIPv6 } from 'node:net'
import { ConfigError, type Env, readBool, readInt, readList, readString } from './parse.js'

/** The NFS server (NFS-Ganesha) the server runs to export every workspace. */
export interface NfsConfig {
  enabled: boolean
  /** True when WM_NFS_ENABLED was set: then a missing NFS server fails start-up. */
  required: boolean
  /** Address ganesha listens on. */
  host: string
  /** NFS port (NFSv3 and NFSv4.x). */
  port: number
  /** NFSv3 MOUNT protocol port (WM_NFS_MOUNT_PORT, default port + 1). */
  mountPort: number
  /** Client networks (CIDRs or addresses) allowed to mount; nobody else is. */
  clients: string[]
  /** Host put in `nfs_url` (WM_NFS_PUBLIC_HOST, default `host`). */
  publicHost: string
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/

/** A client entry ganesha understands: an IPv4/IPv6 address, optionally with a /prefix. */
function checkClient(entry: string): string {
  const [address = '', prefix, ...rest] = entry.split('/')
  const v4 = IPV4.test(address)
  const v6 = !v4 && isIPv6(address)
  const max = v4 ? 32 : 128
  const prefixOk =
    prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max && !rest.length)
  if ((!v4 && !v6) || !prefixOk) {
    throw new ConfigError(
      'WM_NFS_CLIENTS',
      `"${entry}" is not an IPv4/IPv6 address or CIDR (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1)`,
    )
  }
  return entry
}

/** Reads the NFS server's variables; throws ConfigError naming the first bad one. */
export function readNfs(env: Env): NfsConfig {
  const host = readString(env, 'WM_NFS_HOST') ?? '127.0.0.1'
  if (!IPV4.test(host) && !isIPv6(host)) {
    throw new ConfigError('WM_NFS_HOST', `expected an IPv4 or IPv6 address, got "${host}"`)
  }
  const port = readInt(env, 'WM_NFS_PORT', 12049, { min: 1, max: 65535 })
  const mountPort = readInt(env, 'WM_NFS_MOUNT_PORT', port === 65535 ? port - 1 : port + 1, {
    min: 1,
    max: 65535,
  })
  if (mountPort === port) {
    throw new ConfigError('WM_NFS_MOUNT_PORT', `must differ from WM_NFS_PORT (${port})`)
  }
  const clients = readList(env, 'WM_NFS_CLIENTS').map(checkClient)
  return {
    enabled: readBool(env, 'WM_NFS_ENABLED', true),
    required: readString(env, 'WM_NFS_ENABLED') !== undefined,
    host,
    port,
    mountPort,
    clients: clients.length ? clients : ['127.0.0.1/32', '::1'],
    publicHost: readString(env, 'WM_NFS_PUBLIC_HOST') ?? host,
  }
}
