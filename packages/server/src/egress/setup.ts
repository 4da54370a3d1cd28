import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/index.js'
import { DockerRuntime } from '../runtime/docker/runtime.js'
import type { SandboxRuntime } from '../runtime/types.js'
import type { MetadataStore } from '../store/index.js'
import { RuntimeError, instanceId } from '../runtime/index.js'
import { DenialLog } from './denials.js'
import { EgressGateway } from './gateway.js'
import { chainName, installFirewall } from './firewall.js'

/** The egress pieces of one server: the refusal log, and the gateway when the engine is Docker. */
export interface Egress {
  denials: DenialLog
  /** Leader duties: one gateway per instance (absent off Docker). */
  gateway?: { start(): Promise<void>; stop(): Promise<void>; tick(): Promise<void> }
  /** A sandbox's row is gone: its refusals are forgotten, and an unused network removed. */
  forget(sandboxId: string): void
}

/**
 * The egress gateway of a Docker server. Only the leader runs it: the
 * instance has one sandbox network and one gateway address, which one
 * process can listen on. It starts when the first sandbox behind it does
 * (or on taking the lease, when there are some already), so a server whose
 * sandboxes never leave mode none makes no network and no firewall rules.
 * Failing to start it is logged and refuses that sandbox's start; the
 * sandbox network has no route out, so nothing is reached without it.
 */
export function createEgress(options: {
  config: Config
  runtime: SandboxRuntime
  store: MetadataStore
  log: FastifyBaseLogger
}): Egress {
  const { config, runtime, store, log } = options
  const denials = new DenialLog(log)
  if (!(runtime instanceof DockerRuntime)) return { denials, forget: (id) => denials.forget(id) }
  const gateway = new EgressGateway({
    instanceId: instanceId(config.dataDir),
    network: runtime.egressNetwork,
    policyOf: async (sandboxId) => {
      const record = await store.getSandbox(sandboxId)
      return (
        record && {
          mode: record.networkMode,
          allow: record.networkAllow ?? [],
          secrets: record.egressSecrets,
        }
      )
    },
    hostsFile: config.egress.hostsFile,
    privateAllow: config.egress.privateAllow,
    caFile: config.egress.caFile,
    denials,
    log,
  })
  const { replicated } = store.coordination
  const network = runtime.egressNetwork
  const chain = chainName(instanceId(config.dataDir))
  let leading = false
  let starting: Promise<void> | undefined
  const ensureRunning = async () => {
    if (!leading || gateway.running) return
    starting ??= gateway.start().finally(() => (starting = undefined))
    await starting
  }
  const anyBehindGateway = async () =>
    (await store.listSandboxes()).some((record) => record.networkAllow !== null)
  const startLogged = () =>
    ensureRunning().catch((error: unknown) => {
      log.error(
        { err: error },
        'the egress gateway did not start: sandboxes behind it reach nothing',
      )
    })
  // With replicas, only the leader may remove what the leader's gateway listens on.
  const sweep = async () => {
    if (starting || (replicated && !leading)) return
    await gateway.sweep().catch((error: unknown) => {
      log.warn({ err: error }, 'could not remove the unused sandbox network')
    })
  }
  network.onUse = async () => {
    if (leading) {
      // Fail closed, and say why: the sandbox is not started without its gateway (503).
      return ensureRunning().catch((error: unknown) => {
        throw new RuntimeError(
          'unavailable',
          `the egress gateway could not start, so no sandbox behind it can: ${(error as Error).message}`,
          {},
          { cause: error },
        )
      })
    }
    // Another replica runs the gateway: the host's rules must be there before this sandbox joins.
    const { bridge, gateway: address } = await network.ensure()
    await installFirewall(chain, bridge, address)
  }
  return {
    denials,
    gateway: {
      start: async () => {
        leading = true
        if (await anyBehindGateway()) await startLogged()
        else await sweep()
      },
      stop: async () => {
        leading = false
        await starting?.catch(() => undefined)
        await gateway.stop()
      },
      // A sandbox another replica made behind the gateway: the leader starts it on its next check.
      tick: async () => {
        if (!replicated || !leading || gateway.running || starting) return
        if (await anyBehindGateway()) await startLogged()
      },
    },
    forget: (id) => {
      denials.forget(id)
      gateway.forget(id)
      void sweep()
    },
  }
}
