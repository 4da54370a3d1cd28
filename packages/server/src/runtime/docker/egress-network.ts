import type Docker from 'dockerode'
import { engineStatus } from './connection.js'
import { LABELS } from '../types.js'

/** The sandbox network of one instance, as the gateway and container configs need it. */
export interface EgressNetworkInfo {
  /** `wm-egress-<instance id>`. */
  name: string
  /** The host's bridge interface (named by us, so firewall rules can name it). */
  bridge: string
  /** The host's address on the bridge: where the gateway listens, the sandboxes' resolver. */
  gateway: string
}

/**
 * The engine side of the egress gateway: one internal network per instance
 * (no route out, no traffic between sandboxes, no IPv6, addresses handed
 * out in turn so that a freed one is not soon given to another sandbox),
 * and which sandbox holds which address on it.
 */
export class DockerEgressNetwork {
  readonly #docker: Docker
  readonly #instanceId: string
  readonly #containerPrefix: string
  readonly name: string
  readonly bridge: string
  /** Called before a sandbox joins the network: the gateway is started then, not before. */
  onUse: (() => Promise<void>) | undefined

  constructor(docker: Docker, instanceId: string, containerPrefix: string) {
    this.#docker = docker
    this.#instanceId = instanceId
    this.#containerPrefix = containerPrefix
    this.name = `wm-egress-${instanceId}`
    this.bridge = `wm-eg-${instanceId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`
  }

  /** The network for a sandbox about to join it, its gateway started first (`onUse`). */
  async prepare(): Promise<EgressNetworkInfo> {
    await this.onUse?.()
    return this.ensure()
  }

  /** The network, made first when missing (several servers may race: the engine keeps one). */
  async ensure(): Promise<EgressNetworkInfo> {
    const found = await this.#inspect()
    if (found) return found
    try {
      await this.#docker.createNetwork({
        Name: this.name,
        CheckDuplicate: true,
        Driver: 'bridge',
        Internal: true,
        EnableIPv6: false,
        Options: {
          'com.docker.network.bridge.enable_icc': 'false',
          'com.docker.network.bridge.name': this.bridge,
        },
        IPAM: { Driver: 'default', Options: { 'com.docker.network.ipam.serial': 'true' } },
        Labels: { [LABELS.managed]: '1', 'wm.instance': this.#instanceId },
      })
    } catch (error) {
      if (engineStatus(error) !== 409) throw error
    }
    const made = await this.#inspect()
    if (!made) throw new Error(`the engine made no network ${this.name}`)
    return made
  }

  /** Sandbox ids by their address on the network (containers of this server's prefix only). */
  async addresses(): Promise<Map<string, string>> {
    const info = (await this.#docker.getNetwork(this.name).inspect()) as {
      Containers?: Record<string, { Name: string; IPv4Address: string }>
    }
    const found = new Map<string, string>()
    for (const container of Object.values(info.Containers ?? {})) {
      if (!container.Name.startsWith(this.#containerPrefix)) continue
      const address = container.IPv4Address.split('/')[0]
      if (address) found.set(address, container.Name.slice(this.#containerPrefix.length))
    }
    return found
  }

  /** Removes the network unless a container uses it: `removed`, `in-use`, or `missing` (none was there). */
  async removeIfUnused(): Promise<'removed' | 'in-use' | 'missing'> {
    try {
      const network = this.#docker.getNetwork(this.name)
      await network.inspect()
      // Stopped containers are not among the network's endpoints, yet cannot start without it.
      const users = await this.#docker.listContainers({
        all: true,
        filters: { network: [this.name] },
      })
      if (users.length) return 'in-use'
      await network.remove()
      return 'removed'
    } catch (error) {
      const status = engineStatus(error)
      if (status === 404) return 'missing'
      // 403: a container joined meanwhile.
      if (status === 403 || status === 409) return 'in-use'
      throw error
    }
  }

  async #inspect(): Promise<EgressNetworkInfo | undefined> {
    try {
      const info = (await this.#docker.getNetwork(this.name).inspect()) as {
        IPAM?: { Config?: Array<{ Gateway?: string }> }
        Options?: Record<string, string>
      }
      const gateway = info.IPAM?.Config?.find((entry) => entry.Gateway?.includes('.'))?.Gateway
      if (!gateway) throw new Error(`network ${this.name} has no IPv4 gateway`)
      const bridge = info.Options?.['com.docker.network.bridge.name'] ?? this.bridge
      return { name: this.name, bridge, gateway }
    } catch (error) {
      if (engineStatus(error) === 404) return undefined
      throw error
    }
  }
}
