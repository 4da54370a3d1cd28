import type {
  CreateSandboxBody,
  NetworkPolicyBody,
  NetworkStatus,
} from '@workspace-manager/protocol'
import type { MetadataStore, SandboxRecord } from '../store/index.js'
import type { DenialLog } from '../egress/denials.js'
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

/** The network of `record` as replies show it, with what the gateway refused it. */
export function networkStatus(record: SandboxRecord, denials?: DenialLog): NetworkStatus {
  return {
    mode: record.networkMode,
    allow: record.networkAllow ?? [],
    denied: denials?.of(record.id) ?? { count: 0, recent: [] },
  }
}

/** States in which a sandbox's policy may change (its container exists and is not stopped). */
const CHANGEABLE_STATES: readonly string[] = ['running', 'paused', 'pausing', 'resuming']

/**
 * Changes the policy of a running sandbox behind the egress gateway; the
 * gateway reads it on the next request. 409 code 2002 when it is not
 * running; 400 code 1001 for a sandbox made without the gateway (mode none
 * or bridge: its container has no way through it), or on an engine that
 * cannot change it in place.
 */
export async function updateNetwork(
  store: MetadataStore,
  record: SandboxRecord,
  body: NetworkPolicyBody,
  abilities: NetworkAbilities & { changeable: boolean },
): Promise<SandboxRecord> {
  const allow = checkedPolicy(body, abilities)
  if (!CHANGEABLE_STATES.includes(record.state)) {
    throw new ApiError(
      'SANDBOX_NOT_RUNNING',
      `sandbox ${record.id} is ${record.state}: its network policy changes while it runs`,
      { state: record.state },
    )
  }
  if (!abilities.changeable) {
    throw new ApiError(
      'VALIDATION',
      'this engine applies a network policy when a sandbox starts; create a new sandbox with the policy wanted',
    )
  }
  if (record.networkAllow === null) {
    throw new ApiError(
      'VALIDATION',
      `sandbox ${record.id} was made with network mode ${record.networkMode}, outside the egress gateway: create it with network mode allowlist (an empty allow list reaches nothing) or open to change its policy later`,
      { network_mode: record.networkMode },
    )
  }
  const updated = await store.updateSandbox(record.id, {
    networkMode: body.mode,
    networkAllow: allow,
  })
  if (!updated) throw new ApiError('SANDBOX_NOT_FOUND', `sandbox ${record.id} not found`)
  return updated
}
