import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { GATEWAY_PORTS } from './ports.js'

const run = promisify(execFile)

/** The chain of one instance's rules: `WM-EGRESS-` and the instance id's first 8 characters. */
export function chainName(instanceId: string): string {
  return `WM-EGRESS-${instanceId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`
}

async function iptables(binary: string, args: string[]): Promise<boolean> {
  try {
    await run(binary, ['-w', ...args])
    return true
  } catch {
    return false
  }
}

/**
 * The host's rules for the sandbox network's bridge: packets from sandboxes
 * to the host itself may only reach the gateway's ports on the gateway's
 * address; everything else sent to the host (the API server, sshd, a
 * database on 0.0.0.0) is dropped. Forwarding beyond the host is already
 * dropped by the engine for an internal network. Made idempotently: the
 * chain is flushed and filled again, and jumped to once from INPUT.
 */
export async function installFirewall(
  chain: string,
  bridge: string,
  gatewayAddress: string,
): Promise<void> {
  const rules: string[][] = [
    ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    ['-d', gatewayAddress, '-p', 'udp', '--dport', String(GATEWAY_PORTS.dns), '-j', 'ACCEPT'],
    ...[GATEWAY_PORTS.dns, GATEWAY_PORTS.http, GATEWAY_PORTS.tls, GATEWAY_PORTS.proxy].map(
      (port) => ['-d', gatewayAddress, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT'],
    ),
    ['-j', 'DROP'],
  ]
  await iptables('iptables', ['-N', chain])
  if (!(await iptables('iptables', ['-F', chain]))) {
    throw new Error(
      `could not make the iptables chain ${chain} (is iptables installed, are we root?)`,
    )
  }
  for (const rule of rules) {
    if (!(await iptables('iptables', ['-A', chain, ...rule]))) {
      throw new Error(`could not add a rule to the iptables chain ${chain}`)
    }
  }
  const jump = ['INPUT', '-i', bridge, '-j', chain]
  if (!(await iptables('iptables', ['-C', ...jump]))) {
    if (!(await iptables('iptables', ['-I', ...jump]))) {
      throw new Error(`could not send packets from ${bridge} to the iptables chain ${chain}`)
    }
  }
  // The network has no IPv6, but a kernel may still give the bridge a link-local address.
  await iptables('ip6tables', ['-C', 'INPUT', '-i', bridge, '-j', 'DROP']).then(
    (present) => present || iptables('ip6tables', ['-I', 'INPUT', '-i', bridge, '-j', 'DROP']),
  )
}

/** Removes what installFirewall made; what is already gone is fine. */
export async function removeFirewall(chain: string, bridge: string): Promise<void> {
  while (await iptables('iptables', ['-D', 'INPUT', '-i', bridge, '-j', chain])) {
    // every copy of the jump
  }
  await iptables('iptables', ['-F', chain])
  await iptables('iptables', ['-X', chain])
  while (await iptables('ip6tables', ['-D', 'INPUT', '-i', bridge, '-j', 'DROP'])) {
    // every copy
  }
}
