import path from 'node:path'
import { parseCidr, type Cidr } from '../egress/addresses.js'
import { ConfigError, readList, readString, type Env } from './parse.js'

/** The egress gateway's settings (sandboxes of network mode allowlist or open). */
export interface EgressConfig {
  /** WM_EGRESS_HOSTS_FILE: a hosts file the gateway consults before DNS; null for none. */
  hostsFile: string | null
  /** WM_EGRESS_PRIVATE_ALLOW: private ranges the gateway may dial after all (none by default). */
  privateAllow: Cidr[]
  /**
   * WM_EGRESS_CA_FILE: PEM certificates the gateway trusts besides the public
   * roots when it connects to hosts whose TLS it terminates (sandbox
   * secrets); null for none.
   */
  caFile: string | null
}

/** Reads WM_EGRESS_HOSTS_FILE, WM_EGRESS_PRIVATE_ALLOW and WM_EGRESS_CA_FILE. */
export function readEgress(env: Env): EgressConfig {
  const hostsFile = readString(env, 'WM_EGRESS_HOSTS_FILE') ?? null
  if (hostsFile !== null && !path.isAbsolute(hostsFile)) {
    throw new ConfigError('WM_EGRESS_HOSTS_FILE', 'must be an absolute path')
  }
  const privateAllow = readList(env, 'WM_EGRESS_PRIVATE_ALLOW').map((entry) => {
    const range = parseCidr(entry)
    if (!range) {
      throw new ConfigError(
        'WM_EGRESS_PRIVATE_ALLOW',
        `"${entry}" is not an IPv4/IPv6 address or CIDR (e.g. 10.1.2.0/24)`,
      )
    }
    return range
  })
  const caFile = readString(env, 'WM_EGRESS_CA_FILE') ?? null
  if (caFile !== null && !path.isAbsolute(caFile)) {
    throw new ConfigError('WM_EGRESS_CA_FILE', 'must be an absolute path')
  }
  return { hostsFile, privateAllow, caFile }
}
