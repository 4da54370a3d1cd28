import type { CreateSandboxBody, NetworkPolicyBody } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { AllowEntryError, parseAllowList } from '../egress/policy.js'

/** A sandbox's network as its row keeps it (see SandboxRecord.networkAllow). */
export interface RequestedNetwork {
  networkMode: string
  networkAllow: string[] | null
}

/** What the engine can do for network policies. */
export interface NetworkAbilities {
  /** The engine gives sandboxes no network at all (gVisor with runsc --network=none). */
  networkless: boolean
  /** Allow entries may name hosts (not on Kubernetes, whose NetworkPolicy knows only addresses). */
  hostRules: boolean
}

/** Modes whose sandboxes sit behind the egress gateway. */
export const GATEWAY_MODES: readonly string[] = ['allowlist', 'open']

/**
 * The checked policy of `body` (mode and allow list): 400 code 1001 naming
 * what is wrong (an allow list outside mode allowlist, an entry that is no
 * host name, address or CIDR, a host name where the engine cannot filter by
 * name).
 */
export function checkedPolicy(body: NetworkPolicyBody, abilities: NetworkAbilities): string[] {
  const allow = (body.allow ?? []).map((entry) => entry.trim())
  if (body.mode !== 'allowlist' && allow.length) {
    throw new ApiError(
      'VALIDATION',
      `network.allow is only for mode allowlist, not ${body.mode}: mode none reaches nothing and open reaches the whole internet`,
      { mode: body.mode },
    )
  }
  let rules
  try {
    rules = parseAllowList(allow)
  } catch (error) {
    if (!(error instanceof AllowEntryError)) throw error
    throw new ApiError('VALIDATION', error.message, { entry: error.entry })
  }
  const named = rules.findIndex((rule) => rule.kind === 'host')
  if (named >= 0 && !abilities.hostRules) {
    throw new ApiError(
      'VALIDATION',
      `allow entry "${allow[named]}" names a host: on Kubernetes the network policy can only allow addresses and CIDRs (a NetworkPolicy cannot name hosts)`,
      { entry: allow[named] },
    )
  }
  if (abilities.networkless && body.mode !== 'none') refuseNetworkless(body.mode)
  return allow
}

function refuseNetworkless(mode: string): never {
  // Fail closed rather than hand out a sandbox without the network it asked for.
  throw new ApiError(
    'VALIDATION',
    `network mode "${mode}" is not available: this engine runs gVisor sandboxes without a network (runsc --network=none)`,
    { network_mode: mode },
  )
}

/**
 * The network of a create request: `network` ({mode, allow}) or the older
 * `network_mode` string (which alone also takes the legacy `bridge`), else
 * the default. Both given must agree.
 */
export function requestedNetwork(
  body: CreateSandboxBody,
  defaultMode: string,
  abilities: NetworkAbilities,
): RequestedNetwork {
  const { network, network_mode: legacy } = body
  if (network) {
    if (legacy && legacy !== network.mode) {
      throw new ApiError(
        'VALIDATION',
        `network_mode "${legacy}" and network.mode "${network.mode}" differ: give one of them`,
        { network_mode: legacy },
      )
    }
    const allow = checkedPolicy(network, abilities)
    return {
      networkMode: network.mode,
      networkAllow: GATEWAY_MODES.includes(network.mode) ? allow : null,
    }
  }
  const networkMode = legacy ?? defaultMode
  if (abilities.networkless && networkMode !== 'none') refuseNetworkless(networkMode)
  return { networkMode, networkAllow: GATEWAY_MODES.includes(networkMode) ? [] : null }
}
