import type { FastifyBaseLogger } from 'fastify'
import { blockListOf, forbiddenAddresses, type Cidr } from './addresses.js'
import { EgressDecisions } from './decisions.js'
import type { DenialLog } from './denials.js'
import { GatewayDns } from './dns-server.js'
import { chainName, installFirewall, removeFirewall } from './firewall.js'
import { HttpGateway } from './http-gateway.js'
import type { NetworkPolicy } from './policy.js'
import { GATEWAY_PORTS } from './ports.js'
import { TlsGateway } from './tls-gateway.js'
import { LeafCertificates } from './certificates.js'
import { TlsTerminator } from './tls-terminator.js'
import { upstreamRoots } from './upstream-roots.js'
import { Upstream, readHostsFile } from './upstream.js'

/** The sandbox network as the engine has it (see DockerEgressNetwork). */
export interface GatewayNetwork {
  /** The host's bridge interface of the network (its name is chosen, not found). */
  readonly bridge: string
  ensure(): Promise<{ bridge: string; gateway: string }>
  /** Sandbox ids by address on the network. */
  addresses(): Promise<Map<string, string>>
  /** Removes the network unless a sandbox uses it. */
  removeIfUnused(): Promise<'removed' | 'in-use' | 'missing'>
}

/** What the gateway needs. */
export interface EgressGatewayOptions {
  instanceId: string
  network: GatewayNetwork
  /** A sandbox's policy now (undefined: no such sandbox). */
  policyOf(sandboxId: string): Promise<NetworkPolicy | undefined>
  /** WM_EGRESS_HOSTS_FILE, or null. */
  hostsFile: string | null
  /** WM_EGRESS_PRIVATE_ALLOW. */
  privateAllow: readonly Cidr[]
  /** WM_EGRESS_CA_FILE: more roots for hosts whose TLS the gateway terminates; null for none. */
  caFile: string | null
  denials: DenialLog
  log: FastifyBaseLogger
}

/** How long the address-to-sandbox map is trusted before the engine is asked again. */
const DIRECTORY_TTL_MS = 1000

/**
 * The egress gateway of one instance: the only way out of the sandbox
 * network, outside every sandbox. It makes the network and the host's
 * firewall rules for it, then serves DNS, transparent HTTP and TLS and an
 * explicit proxy on the network's gateway address, judging each request by
 * the asking sandbox's current policy.
 */
export class EgressGateway {
  readonly #options: EgressGatewayOptions
  #closers: Array<() => Promise<void>> = []
  readonly #certificates = new LeafCertificates()
  #directory = new Map<string, string>()
  #directoryAt = 0
  #refreshing: Promise<void> | undefined
  #forgetters: Array<(sandboxId: string) => void> = []

  constructor(options: EgressGatewayOptions) {
    this.#options = options
  }

  /** Makes the network and firewall and starts listening; a second call does nothing. */
  async start(): Promise<void> {
    if (this.#closers.length) return
    const { network, instanceId, log } = this.#options
    const { bridge, gateway } = await network.ensure()
    const chain = chainName(instanceId)
    await installFirewall(chain, bridge, gateway)
    const decisions = new EgressDecisions({
      sandboxAt: (address) => this.#sandboxAt(address),
      policyOf: (id) => this.#options.policyOf(id),
      upstream: this.#upstream(),
      denials: this.#options.denials,
    })
    const terminator = new TlsTerminator(
      decisions,
      this.#certificates,
      upstreamRoots(this.#options.caFile),
    )
    const dns = new GatewayDns(decisions, gateway)
    const http = new HttpGateway(decisions, false, terminator)
    const proxy = new HttpGateway(decisions, true, terminator)
    this.#forgetters = [
      (id) => http.forget(id),
      (id) => proxy.forget(id),
      (id) => terminator.forget(id),
    ]
    const tls = new TlsGateway(decisions, terminator)
    this.#closers.push(async () => {
      // The rules stay while sandboxes still use the network: without them they would reach the host.
      if ((await network.removeIfUnused()) !== 'in-use') await removeFirewall(chain, bridge)
    })
    this.#closers.unshift(() => Promise.resolve(terminator.close()))
    try {
      await dns.listen(GATEWAY_PORTS.dns)
      this.#closers.unshift(() => dns.close())
      await http.listen(GATEWAY_PORTS.http, gateway)
      this.#closers.unshift(() => http.close())
      await tls.listen(GATEWAY_PORTS.tls, gateway)
      this.#closers.unshift(() => tls.close())
      await proxy.listen(GATEWAY_PORTS.proxy, gateway)
      this.#closers.unshift(() => proxy.close())
    } catch (error) {
      await this.stop()
      throw error
    }
    log.info({ gateway, bridge, chain }, 'egress gateway listening')
  }

  /** Stops listening; removes the network and firewall rules once no sandbox uses them. */
  async stop(): Promise<void> {
    const closers = this.#closers
    this.#closers = []
    for (const close of closers) {
      await close().catch((error: unknown) =>
        this.#options.log.warn({ err: error }, 'could not close part of the egress gateway'),
      )
    }
  }

  /** Forgets what was made for a sandbox that is gone (its certificates, its upstream connections). */
  forget(sandboxId: string): void {
    this.#certificates.forget(sandboxId)
    for (const forget of this.#forgetters) forget(sandboxId)
  }

  /** Whether the gateway listens now. */
  get running(): boolean {
    return this.#closers.length > 0
  }

  /**
   * Removes the network and its firewall rules when no sandbox uses them
   * and the gateway is not running (its last sandbox went after it stopped,
   * or a server before this one left them).
   */
  async sweep(): Promise<void> {
    if (this.running) return
    const { network, instanceId } = this.#options
    // A network that was never made has no rules either: nothing to run iptables for.
    if ((await network.removeIfUnused()) === 'removed') {
      await removeFirewall(chainName(instanceId), network.bridge)
    }
  }

  #upstream(): Upstream {
    const { hostsFile, privateAllow } = this.#options
    return new Upstream({
      hosts: hostsFile ? readHostsFile(hostsFile) : new Map(),
      forbidden: forbiddenAddresses(),
      privateAllow: blockListOf(privateAllow),
    })
  }

  async #sandboxAt(address: string): Promise<string | undefined> {
    const plain = address.replace(/^::ffff:/, '')
    const age = Date.now() - this.#directoryAt
    if (age >= DIRECTORY_TTL_MS || !this.#directory.has(plain)) await this.#refresh()
    // Asked again before it expires, so a steady stream of requests never waits for the engine.
    else if (age >= DIRECTORY_TTL_MS / 2) void this.#refresh()
    return this.#directory.get(plain)
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= this.#options.network
      .addresses()
      .then((found) => {
        this.#directory = found
        this.#directoryAt = Date.now()
      })
      .catch((error: unknown) => {
        this.#options.log.warn({ err: error }, 'could not list the sandbox network')
      })
      .finally(() => {
        this.#refreshing = undefined
      })
    return this.#refreshing
  }
}
