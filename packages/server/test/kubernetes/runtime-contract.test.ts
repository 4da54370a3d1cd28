import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { RuntimeError } from '../../src/runtime/errors.js'
import { INSTANCE_LABEL } from '../../src/runtime/kubernetes/objects.js'
import { waitForAgentHello } from '../../src/services/agent-ready.js'
import { runRuntimeContract, type RuntimeUnderTest } from '../runtime-contract.js'
import { TEST_TEMPLATE } from '../helpers/sandbox.js'
import { KUBECONFIG, NO_CLUSTER, clients, freshNamespace, makeRuntime, outside } from './cluster.js'

/*
 * The shared runtime contract against KubernetesRuntime on a real cluster
 * (WM_TEST_KUBECONFIG), in a namespace of its own made and deleted here, with
 * the real agent installed into each pod from the agent image and reached
 * over TCP at the pod's IP (run in the node's network namespace:
 * scripts/k8s/in-node.sh).
 */

const PREFIX = 'wm_contract_'

if (!KUBECONFIG) {
  test('kubernetes runtime contract', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { namespace, drop } = await freshNamespace(file)
  after(drop)
  const { core, networking } = clients(file)
  const view = outside(file, namespace, PREFIX)

  const make = async (instanceId: string): Promise<RuntimeUnderTest> => {
    const runtime = makeRuntime(file, namespace, instanceId, PREFIX)
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
        const options = { namespace, labelSelector }
        await core.deleteCollectionNamespacedPod({ ...options, gracePeriodSeconds: 0 })
        await core.deleteCollectionNamespacedSecret(options)
        await networking.deleteCollectionNamespacedNetworkPolicy(options)
      },
    }
  }

  // Nobody listens on port 1: every call finds no API server.
  const unavailable = async () =>
    makeRuntime(file, namespace, 'contract-unavailable', PREFIX, 'https://127.0.0.1:1')

  runRuntimeContract('kubernetes', make, unavailable)

  test('kubernetes: a RuntimeClass the cluster lacks refuses the start and leaves nothing', async () => {
    const instanceId = `runtime-class-${randomBytes(4).toString('hex')}`
    const runtime = makeRuntime(file, namespace, instanceId, PREFIX, undefined, {
      WM_K8S_RUNTIME_CLASS: 'wm-no-such-class',
    })
    await runtime.probe()
    const sandboxId = `sb_${randomBytes(6).toString('hex')}`
    await assert.rejects(
      runtime.start({
        sandboxId,
        workspaceId: 'ws_contract',
        containerName: `${PREFIX}${sandboxId}`,
        image: TEST_TEMPLATE,
        env: {},
        nanoCpus: 1e9,
        memoryBytes: 256 * 1024 ** 2,
        pidsLimit: 128,
        networkMode: 'none',
        workspaceHostDir: '/nonexistent',
        containerWorkspaceDir: '/workspace',
        agentBinaryHostPath: '',
        runHostDir: '/nonexistent',
        agentToken: randomBytes(16).toString('hex'),
      }),
      (error: unknown) =>
        error instanceof RuntimeError &&
        error.kind === 'invalid' &&
        /RuntimeClass wm-no-such-class \(WM_K8S_RUNTIME_CLASS\)/.test(error.message),
    )
    assert.deepEqual(await runtime.listManaged(), [])
  })
}
