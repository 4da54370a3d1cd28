import { allowsAddress, allowsName, parseAllowList, type NetworkPolicy } from './policy.js'
import type { DenialLog } from './denials.js'
import type { Upstream } from './upstream.js'
import { secretsForHost, type HostSecrets } from './secret-fill.js'

/**
 * What the gateway does with one request of a sandbox: where to dial, and
 * the sandbox's secrets for that host, which the gateway fills in (and for
 * which it terminates TLS); none when no secret names the host.
 */
export type Decision =
  | { allowed: true; address: string; secrets?: HostSecrets | undefined }
  | { allowed: false; reason: string }

/** Where the gateway learns who is asking and what they may do. */
export interface DecisionSources {
  /** The sandbox using `address` on the gateway network, if any. */
  sandboxAt(address: string): Promise<string | undefined>
  /** The sandbox's policy now (read per request, so a change applies to the next one). */
  policyOf(sandboxId: string): Promise<NetworkPolicy | undefined>
  upstream: Upstream
  denials: DenialLog
}

/**
 * The gateway's one place of judgement: whether the sandbox at a source
 * address may reach a destination, and at which address. Every refusal is
 * recorded against the sandbox.
 */
export class EgressDecisions {
  readonly #sources: DecisionSources

  constructor(sources: DecisionSources) {
    this.#sources = sources
  }

  /** The sandbox at `source`, or undefined (an address the gateway does not know is refused). */
  sandboxAt(source: string): Promise<string | undefined> {
    return this.#sources.sandboxAt(source)
  }

  /** Whether `sandboxId` may look `name` up: allowed names answer with the gateway's address. */
  async mayResolve(sandboxId: string, name: string, count: boolean): Promise<boolean> {
    const policy = await this.#sources.policyOf(sandboxId)
    const allowed =
      policy?.mode === 'open' ||
      (policy?.mode === 'allowlist' && allowsName(parseAllowList(policy.allow), name, null))
    if (!allowed && count) this.#sources.denials.record(sandboxId, name, null, 'name lookup')
    return allowed
  }

  /**
   * Whether `sandboxId` may connect to `host` on `port`, and the address to
   * dial: the name must be allowed (allowlist: a host rule, or an address
   * rule covering what it resolves to), and the resolved address must be
   * reachable (never private, link-local or metadata unless the operator
   * allows the range).
   */
  async connect(sandboxId: string, host: string, port: number): Promise<Decision> {
    const decision = await this.#judge(sandboxId, host, port)
    if (!decision.allowed) this.#sources.denials.record(sandboxId, host, port, decision.reason)
    return decision
  }

  async #judge(sandboxId: string, host: string, port: number): Promise<Decision> {
    const { upstream } = this.#sources
    const policy = await this.#sources.policyOf(sandboxId)
    if (!policy || (policy.mode !== 'open' && policy.mode !== 'allowlist')) {
      return { allowed: false, reason: `network mode ${policy?.mode ?? 'unknown'}` }
    }
    const rules = policy.mode === 'allowlist' ? parseAllowList(policy.allow) : []
    const byName = policy.mode === 'open' || allowsName(rules, host, port)
    const addresses = (await upstream.resolve(host)).filter((address) =>
      upstream.reachable(address),
    )
    const address = byName
      ? addresses[0]
      : addresses.find((candidate) => allowsAddress(rules, candidate, port))
    if (address) {
      const secrets = secretsForHost(policy.secrets, host)
      return secrets ? { allowed: true, address, secrets } : { allowed: true, address }
    }
    if (!byName && !addresses.length) return { allowed: false, reason: 'not in the allow list' }
    return byName
      ? { allowed: false, reason: 'resolves to no address the gateway may dial' }
      : { allowed: false, reason: 'not in the allow list' }
  }
}
