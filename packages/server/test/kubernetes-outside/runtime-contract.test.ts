import { after, test } from 'node:test'
import { runRuntimeContract } from '../runtime-contract.js'
import { KUBECONFIG, NO_CLUSTER, freshNamespace } from '../kubernetes/cluster.js'
import { contractRuntimes } from '../kubernetes/contract-setup.js'

/*
 * The shared runtime contract against KubernetesRuntime with
 * WM_K8S_AGENT_ACCESS=port-forward, from the host's network namespace
 * (where the test cluster's pod IPs do not route): every agent connection
 * the contract makes goes through the API server's port-forward.
 */

if (!KUBECONFIG) {
  test('kubernetes runtime contract through port-forward', { skip: NO_CLUSTER }, () => {})
} else {
  const { namespace, drop } = await freshNamespace(KUBECONFIG)
  after(drop)
  const { make, unavailable } = contractRuntimes(KUBECONFIG, namespace, 'wm_pfc_', {
    WM_K8S_AGENT_ACCESS: 'port-forward',
  })
  runRuntimeContract('kubernetes (port-forward)', make, unavailable)
}
