import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readKubernetes } from '../src/config/kubernetes.js'
import { podResources, sandboxPod } from '../src/runtime/kubernetes/objects.js'
import type { SandboxSpec } from '../src/runtime/types.js'

/*
 * A sandbox's root filesystem size on Kubernetes is the pod's ephemeral
 * storage, limited and requested in full (the kubelet evicts past it).
 */

const MiB = 1024 ** 2

const spec: SandboxSpec = {
  sandboxId: 'sb_0123abcd',
  workspaceId: 'ws_4567ef',
  containerName: 'wm_ws_sb_0123abcd',
  image: 'workspace-test:latest',
  env: {},
  nanoCpus: 1e9,
  memoryBytes: 512 * MiB,
  diskBytes: 2048 * MiB,
  pidsLimit: 128,
  networkMode: 'none',
  workspaceHostDir: '/var/lib/wm/workspaces/ws_4567ef',
  containerWorkspaceDir: '/workspace',
  agentBinaryHostPath: '/opt/wm-agent',
  runHostDir: '/var/lib/wm/run/sb_0123abcd',
  agentToken: 'token-0123456789abcdef0123456789abcdef',
}

const settings = {
  config: readKubernetes({}),
  instanceId: 'inst-1',
  agentImage: 'wm-agent:1.2.3',
  nfs: { host: '10.0.0.5', port: 12049 },
}

test('disk_bytes is the ephemeral-storage limit and request of both containers', () => {
  const pod = sandboxPod(spec, settings)
  const containers = [...pod.spec!.initContainers!, ...pod.spec!.containers]
  assert.equal(containers.length, 2)
  for (const container of containers) {
    assert.equal(container.resources?.limits?.['ephemeral-storage'], String(2048 * MiB))
    assert.equal(container.resources?.requests?.['ephemeral-storage'], String(2048 * MiB))
    assert.equal(container.resources?.limits?.memory, String(512 * MiB), 'other limits stay')
  }
})

test('without disk_bytes the pod has no ephemeral-storage limit or request', () => {
  for (const diskBytes of [null, undefined]) {
    const resources = podResources({ ...spec, diskBytes })
    assert.deepEqual(Object.keys(resources.limits).sort(), ['cpu', 'memory'])
    assert.deepEqual(Object.keys(resources.requests).sort(), ['cpu', 'memory'])
  }
})
