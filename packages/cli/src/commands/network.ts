/** `wm sandbox network <id>`: show a sandbox's network policy, or change it. */
import { Option, type Command } from 'commander'
import type { NetworkPolicy, NetworkStatus } from 'workspace-sdk'
import type { CliContext } from '../context.js'
import { formatNetworkStatus } from '../output.js'

/** Modes a policy can have (`bridge` is only a legacy create mode). */
export const POLICY_MODES: NetworkPolicy['mode'][] = ['none', 'allowlist', 'open']

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Options of `wm sandbox network`. */
interface NetworkFlags {
  mode?: NetworkPolicy['mode']
  allow?: string[]
}

/** Adds `network` to the `sandbox` command group. */
export function registerNetworkCommand(sandbox: Command, context: CliContext): void {
  sandbox
    .command('network')
    .argument('<id>', 'sandbox id')
    .description(
      "show a sandbox's network policy and the destinations refused; with --mode (and --allow), change it while it runs",
    )
    .addOption(new Option('--mode <mode>', 'new mode').choices(POLICY_MODES))
    .option(
      '--allow <entry>',
      'allowed host, *.domain, address or CIDR, [:port] (repeatable)',
      collect,
    )
    .action(async (id: string, flags: NetworkFlags) => {
      const service = context.client().sandbox
      if (flags.allow && !flags.mode) flags.mode = 'allowlist'
      const status: NetworkStatus = flags.mode
        ? await service.updateNetwork(id, { mode: flags.mode, allow: flags.allow })
        : await service.network(id)
      context.result(status, formatNetworkStatus)
    })
}
