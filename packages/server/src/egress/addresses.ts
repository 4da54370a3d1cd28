import net from 'node:net'
import os from 'node:os'

/** An address range: `address/prefix`, of one family. */
export interface Cidr {
  family: 'ipv4' | 'ipv6'
  address: string
  prefix: number
}

/**
 * Ranges no sandbox reaches in any mode: the host's loopback, private and
 * carrier-grade NAT ranges (where the host, the server and other machines of
 * the operator live), link-local and cloud metadata addresses, and addresses
 * that are no destination at all (0.0.0.0/8 reaches the host itself).
 */
export const FORBIDDEN_RANGES: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/3',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
]

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128); undefined when it is none. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...rest] = text.split('/')
  if (rest.length) return undefined
  const version = net.isIP(address)
  if (version === 0) return undefined
  const max = version === 4 ? 32 : 128
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = prefixText === undefined ? max : Number(prefixText)
  if (prefix > max) return undefined
  return { family: version === 4 ? 'ipv4' : 'ipv6', address, prefix }
}

/** A BlockList holding `ranges`. */
export function blockListOf(ranges: readonly Cidr[]): net.BlockList {
  const list = new net.BlockList()
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family)
  return list
}

/** `::ffff:1.2.3.4` as `1.2.3.4`; any other address as it is. */
export function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return match?.[1] ?? address
}

/** Whether `address` (an IP literal) lies in `list`. */
export function inList(list: net.BlockList, address: string): boolean {
  const plain = unmapped(address)
  const version = net.isIP(plain)
  if (version === 0) return false
  return list.check(plain, version === 4 ? 'ipv4' : 'ipv6')
}

/**
 * The addresses no sandbox may reach: FORBIDDEN_RANGES and every address of
 * this host's interfaces (a public address of the host would otherwise reach
 * its services), minus nothing: what the operator allows is checked apart.
 */
export function forbiddenAddresses(): net.BlockList {
  const ranges = FORBIDDEN_RANGES.map((text) => parseCidr(text) as Cidr)
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      const range = parseCidr(entry.address.replace(/%.*$/, ''))
      if (range) ranges.push(range)
    }
  }
  return blockListOf(ranges)
}
