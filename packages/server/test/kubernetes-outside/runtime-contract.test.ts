import { after, test } from 'node:test'
import { INSTANCE_LABEL } from '../../src/runtime/kubernetes/objects.js'
import { waitForAgentHello } from '../../src/services/agent-ready.js'
import { runRuntimeContract, type RuntimeUnderTest } from '../runtime-contract.js'
import { TEST_TEMPLATE } from '../helpers/sandbox.js'
import {
  KUBECONFIG,
  NO_CLUSTER,
  clients,
  freshNamespace,
  makeRuntime,
  outside,
} from '../kubernetes/cluster.js'

/*
 * The shared runtime contract against KubernetesRuntime with
 * WM_K8S_AGENT_ACCESS=port-forward, from the host's network namespace
 * (where the test cluster's pod IPs do not route): every agent connection
 * the contract makes goes through the API server's port-forward.
 */

const PREFIX = 'wm_pfc_'
const FORWARD = { WM_K8S_AGENT_ACCESS: 'port-forward' }

if (!KUBECONFIG) {
  test('kubernetes runtime contract through port-forward', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { namespace, drop } = await freshNamespace(file)
  after(drop)
  const { core, networking } = clients(file)
  const view = outside(file, namespace, PREFIX)

  const make = async (instanceId: string): Promise<RuntimeUnderTest> => {
    const runtime = makeRuntime(file, namespace, instanceId, PREFIX, undefined, FORWARD)
    const labelSelector = `${INSTANCE_LABEL}=${instanceId}`
    return {
      runtime,
      image: TEST_TEMPLATE,
      agentBinary: '/nonexistent/the-agent-comes-from-the-agent-image',
      containerName: (sandboxId) => `${PREFIX}${sandboxId}`,
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
    makeRuntime(file, namespace, 'contract-unavailable', PREFIX, 'https://127.0.0.1:1', FORWARD)

  runRuntimeContract('kubernetes (port-forward)', make, unavailable)
}
