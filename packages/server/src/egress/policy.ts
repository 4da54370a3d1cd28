import type net from 'node:net'
import { blockListOf, inList, parseCidr, type Cidr } from './addresses.js'
import type { SandboxSecrets } from '../store/index.js'

/** A sandbox's network policy as the gateway applies it. */
export interface NetworkPolicy {
  /** none, allowlist, open, or the legacy bridge (which the gateway never sees). */
  mode: string
  allow: readonly string[]
  /** The secrets the gateway fills in for it, and its CA; none when absent. */
  secrets?: SandboxSecrets | null
}

/** One allow entry, parsed. `port` null: any port. */
export type AllowRule =
  | { kind: 'host'; name: string; wildcard: boolean; port: number | null }
  | { kind: 'cidr'; range: Cidr; list: net.BlockList; port: number | null }

const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?'
const HOST_NAME = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`)

/** Why an allow entry is refused; what the 400 says. */
export class AllowEntryError extends Error {
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(
      `allow entry "${entry}" ${reason}: expected a host name (api.example.com, *.example.com), an address or CIDR (203.0.113.7, 10.0.0.0/8, [2001:db8::/32]), each with an optional :port`,
    )
  }
}

function parsePort(entry: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new AllowEntryError(entry, `has port "${text}", not 1 to 65535`)
  }
  return Number(text)
}

/** Splits `target[:port]`; an IPv6 target with a port is bracketed (`[2001:db8::/32]:443`). */
function splitPort(entry: string): { target: string; port: number | null } {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']')
    if (end < 0) throw new AllowEntryError(entry, 'opens a bracket it does not close')
    const after = entry.slice(end + 1)
    if (after && !after.startsWith(':')) throw new AllowEntryError(entry, 'has text after "]"')
    return { target: entry.slice(1, end), port: after ? parsePort(entry, after.slice(1)) : null }
  }
  const colons = entry.split(':').length - 1
  // More than one colon and no brackets: a bare IPv6 address or range, without a port.
  if (colons !== 1) return { target: entry, port: null }
  const at = entry.lastIndexOf(':')
  return { target: entry.slice(0, at), port: parsePort(entry, entry.slice(at + 1)) }
}

/** Parses one allow entry; throws AllowEntryError saying what is wrong with it. */
export function parseAllowEntry(entry: string): AllowRule {
  const { target, port } = splitPort(entry.trim())
  if (/^[\d.]+(\/\d+)?$/.test(target) || target.includes(':')) {
    const range = parseCidr(target)
    if (!range) throw new AllowEntryError(entry, 'is no valid address or CIDR')
    return { kind: 'cidr', range, list: blockListOf([range]), port }
  }
  const name = target.toLowerCase().replace(/\.$/, '')
  if (name.length > 253 || !HOST_NAME.test(name)) {
    throw new AllowEntryError(entry, 'is no valid host name')
  }
  const wildcard = name.startsWith('*.')
  return { kind: 'host', name: wildcard ? name.slice(2) : name, wildcard, port }
}

/** The rules of an allow list (every entry parsed; the first bad one throws). */
export function parseAllowList(allow: readonly string[]): AllowRule[] {
  return allow.map(parseAllowEntry)
}

const portMatches = (rule: AllowRule, port: number | null) =>
  rule.port === null || port === null || rule.port === port

/** Whether a host rule names `name` (`*.example.com` covers a.example.com, not example.com). */
function nameMatches(rule: AllowRule & { kind: 'host' }, name: string): boolean {
  return rule.wildcard ? name.endsWith(`.${rule.name}`) : name === rule.name
}

/**
 * Whether `rules` let the sandbox reach `name` on `port` (null: a name
 * lookup, which any port of a matching rule allows). An address given as the
 * name is matched against the address rules.
 */
export function allowsName(
  rules: readonly AllowRule[],
  name: string,
  port: number | null,
): boolean {
  const lower = name.toLowerCase().replace(/\.$/, '')
  return rules.some((rule) =>
    rule.kind === 'host'
      ? nameMatches(rule, lower) && portMatches(rule, port)
      : inList(rule.list, lower) && portMatches(rule, port),
  )
}

/** Whether an address rule of `rules` covers `address` on `port`. */
export function allowsAddress(rules: readonly AllowRule[], address: string, port: number): boolean {
  return rules.some(
    (rule) => rule.kind === 'cidr' && inList(rule.list, address) && portMatches(rule, port),
  )
}
