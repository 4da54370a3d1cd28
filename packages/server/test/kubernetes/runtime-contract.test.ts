import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { RuntimeError } from '../../src/runtime/errors.js'
import { runRuntimeContract } from '../runtime-contract.js'
import { TEST_TEMPLATE } from '../helpers/sandbox.js'
import { KUBECONFIG, NO_CLUSTER, freshNamespace, makeRuntime } from './cluster.js'
import { contractRuntimes } from './contract-setup.js'

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
  const { make, unavailable } = contractRuntimes(file, namespace, PREFIX)

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
