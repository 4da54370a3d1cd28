import dns from 'node:dns/promises'
import fs from 'node:fs'
import net from 'node:net'
import { inList, unmapped } from './addresses.js'

/**
 * Names of a hosts file (`address name [alias...]`, `#` comments), lower
 * case, to their addresses in file order. A missing file is an error: the
 * operator named it.
 */
export function readHostsFile(file: string): Map<string, string[]> {
  const names = new Map<string, string[]>()
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [address, ...aliases] = line.replace(/#.*$/, '').trim().split(/\s+/)
    if (!address || net.isIP(address) === 0) continue
    for (const alias of aliases) {
      const name = alias.toLowerCase().replace(/\.$/, '')
      names.set(name, [...(names.get(name) ?? []), address])
    }
  }
  return names
}

/** How the gateway finds and vets the address it dials. */
export interface UpstreamOptions {
  /** WM_EGRESS_HOSTS_FILE's names, consulted before DNS. */
  hosts: ReadonlyMap<string, readonly string[]>
  /** Never dialled (FORBIDDEN_RANGES and the host's own addresses)... */
  forbidden: net.BlockList
  /** ...unless in WM_EGRESS_PRIVATE_ALLOW. */
  privateAllow: net.BlockList
  /** Looks a name up in DNS (the host's resolver by default). */
  lookup?: (name: string) => Promise<string[]>
}

async function systemLookup(name: string): Promise<string[]> {
  const found = await dns.lookup(name, { all: true, family: 4 })
  return found.map((entry) => entry.address)
}

/**
 * Resolves the destinations sandboxes ask for. The address returned is the
 * one dialled (never looked up again), and it is vetted after resolution,
 * so a name that resolves to a private address (DNS rebinding) is refused
 * like the address itself.
 */
export class Upstream {
  readonly #options: UpstreamOptions

  constructor(options: UpstreamOptions) {
    this.#options = options
  }

  /** Whether the gateway may dial `address` at all, whatever the sandbox's policy. */
  reachable(address: string): boolean {
    const { forbidden, privateAllow } = this.#options
    return !inList(forbidden, address) || inList(privateAllow, address)
  }

  /**
   * The addresses of `host` (an IP literal is its own), hosts file first;
   * empty when the name does not resolve.
   */
  async resolve(host: string): Promise<string[]> {
    const name = host.toLowerCase().replace(/\.$/, '')
    if (net.isIP(unmapped(name))) return [unmapped(name)]
    const listed = this.#options.hosts.get(name)
    if (listed) return [...listed]
    try {
      return await (this.#options.lookup ?? systemLookup)(name)
    } catch {
      return []
    }
  }
}
