import { INSTANCE_LABEL } from '../../src/runtime/kubernetes/objects.js'
import type { KubernetesRuntime } from '../../src/runtime/kubernetes/runtime.js'
import { waitForAgentHello } from '../../src/services/agent-ready.js'
import type { RuntimeUnderTest } from '../runtime-contract.js'
import { TEST_TEMPLATE } from '../helpers/sandbox.js'
import { clients, makeRuntime, outside } from './cluster.js'

/**
 * The runtime contract's view of KubernetesRuntime in `namespace` of the
 * test cluster: runtimes made with `env` (e.g. the agent access mode), the
 * outside view that kills, deletes and inspects behind their back, and one
 * that finds no API server. Shared by the in-node and the port-forward runs.
 */
export function contractRuntimes(
  file: string,
  namespace: string,
  prefix: string,
  env: Record<string, string> = {},
): {
  make: (instanceId: string) => Promise<RuntimeUnderTest>
  unavailable: () => Promise<KubernetesRuntime>
} {
  const { core, networking } = clients(file)
  const view = outside(file, namespace, prefix)
  const make = async (instanceId: string): Promise<RuntimeUnderTest> => {
    const runtime = makeRuntime(file, namespace, instanceId, prefix, undefined, env)
    const labelSelector = `${INSTANCE_LABEL}=${instanceId}`
    return {
      runtime,
      image: TEST_TEMPLATE,
      agentBinary: '/nonexistent/the-agent-comes-from-the-agent-image',
      containerName: (sandboxId) => `${prefix}${sandboxId}`,
      kill: (sandboxId) => view.kill(sandboxId),
      async removeBehindBack(sandboxId) {
        await view.deletePod(sandboxId)
        await view.deleteSecret(sandboxId)
      },
      isPaused: (sandboxId) => view.isPaused(sandboxId),
      async started(spec) {
        await waitForAgentHello(
          await runtime.agentEndpoint(spec.sandboxId, spec.runHostDir),
          spec.agentToken,
          60_000,
          async () =>
            (await runtime.inspect(spec.sandboxId))?.running ? null : 'the pod is not running',
        )
        await view.startSleeper(spec.sandboxId)
      },
      async cleanup() {
        await runtime.close()
        const options = { namespace, labelSelector }
        await core.deleteCollectionNamespacedPod({ ...options, gracePeriodSeconds: 0 })
        await core.deleteCollectionNamespacedSecret(options)
        await networking.deleteCollectionNamespacedNetworkPolicy(options)
      },
    }
  }
  // Nobody listens on port 1: every call finds no API server.
  const unavailable = async () =>
    makeRuntime(file, namespace, 'contract-unavailable', prefix, 'https://127.0.0.1:1', env)
  return { make, unavailable }
}
