import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { V1Node, V1Pod } from '@kubernetes/client-node'
import { ConfigError, loadConfig } from '../src/config/index.js'
import { readKubernetes } from '../src/config/kubernetes.js'
import { KEPT_CAPABILITIES } from '../src/runtime/docker/container-config.js'
import {
  nfsVolume,
  objectName,
  sandboxPod,
  sandboxPolicy,
  sandboxSecret,
  workspaceClaim,
  type ObjectSettings,
} from '../src/runtime/kubernetes/objects.js'
import {
  fullImageName,
  largestNode,
  nodesHaveImage,
  quantityBytes,
  startProgress,
} from '../src/runtime/kubernetes/pod-state.js'
import type { SandboxSpec } from '../src/runtime/types.js'

const spec: SandboxSpec = {
  sandboxId: 'sb_0123abcd',
  workspaceId: 'ws_4567ef',
  containerName: 'wm_ws_sb_0123abcd',
  image: 'workspace-test:latest',
  env: { GREETING: 'hello', API_PASSWORD: 's3cret-value' },
  nanoCpus: 1.5e9,
  memoryBytes: 512 * 1024 ** 2,
  pidsLimit: 128,
  networkMode: 'none',
  workspaceHostDir: '/var/lib/wm/workspaces/ws_4567ef',
  containerWorkspaceDir: '/workspace',
  agentBinaryHostPath: '/opt/wm-agent',
  runHostDir: '/var/lib/wm/run/sb_0123abcd',
  agentToken: 'token-0123456789abcdef0123456789abcdef',
}

function settings(env: Record<string, string> = {}): ObjectSettings {
  return {
    config: readKubernetes(env),
    instanceId: 'inst-1',
    agentImage: 'wm-agent:1.2.3',
    nfs: { host: '10.0.0.5', port: 12049 },
  }
}

const sandboxContainer = (pod: V1Pod) => pod.spec!.containers.find((c) => c.name === 'sandbox')!

test('the pod keeps the security baseline of Docker sandboxes', () => {
  const pod = sandboxPod(spec, settings())
  assert.equal(pod.metadata?.name, 'wm-ws-sb-0123abcd')
  assert.equal(pod.spec?.automountServiceAccountToken, false)
  assert.equal(pod.spec?.enableServiceLinks, false)
  assert.equal(pod.spec?.restartPolicy, 'Never')
  assert.equal(pod.spec?.hostNetwork, undefined)
  assert.equal(pod.spec?.hostPID, undefined)
  for (const container of [...pod.spec!.initContainers!, ...pod.spec!.containers]) {
    const security = container.securityContext!
    assert.deepEqual(security.capabilities, { drop: ['ALL'], add: [...KEPT_CAPABILITIES] })
    assert.equal(security.allowPrivilegeEscalation, false)
    assert.equal(security.privileged, false)
    assert.deepEqual(security.seccompProfile, { type: 'RuntimeDefault' })
    // Memory is reserved in full; CPU, which is only throttled, at a quarter of the limit.
    assert.deepEqual(container.resources?.limits, { cpu: '1500m', memory: String(512 * 1024 ** 2) })
    assert.deepEqual(container.resources?.requests, {
      cpu: '375m',
      memory: String(512 * 1024 ** 2),
    })
  }
  const sandbox = sandboxContainer(pod)
  assert.deepEqual(sandbox.command, ['/wm/bin/wm-agent'])
  assert.deepEqual(sandbox.args, [
    '--socket',
    '',
    '--listen',
    'tcp://0.0.0.0:7070',
    '--workdir',
    '/workspace',
  ])
  const agentMount = sandbox.volumeMounts?.find((m) => m.mountPath === '/wm/bin')
  assert.equal(agentMount?.readOnly, true)
  const install = pod.spec!.initContainers![0]!
  assert.equal(install.image, 'wm-agent:1.2.3')
  assert.deepEqual(install.command, ['/wm-agent', 'install', '/wm/bin/wm-agent'])
})

test('labels tie every object to its sandbox, workspace and instance', () => {
  const want = {
    'wm.managed': '1',
    'wm.sandbox': 'sb_0123abcd',
    'wm.workspace': 'ws_4567ef',
    'wm.instance': 'inst-1',
  }
  const s = settings()
  for (const object of [sandboxPod(spec, s), sandboxSecret(spec, s), sandboxPolicy(spec, s)]) {
    assert.deepEqual(object.metadata?.labels, want, object.kind)
  }
  assert.equal(sandboxSecret(spec, s).metadata?.name, 'wm-sb-0123abcd')
  assert.equal(sandboxPolicy(spec, s).metadata?.name, 'wm-sb-0123abcd')
})

test('the Secret holds the token, the environment and the spec; the pod holds none of them', () => {
  const s = settings()
  const secret = sandboxSecret(spec, s)
  const data = secret.stringData!
  assert.equal(data['agent-token'], spec.agentToken)
  assert.equal(data['env.API_PASSWORD'], 's3cret-value')
  assert.deepEqual(JSON.parse(data['spec.json']!), spec)
  const pod = sandboxPod(spec, s)
  const text = JSON.stringify(pod)
  assert.ok(!text.includes(spec.agentToken), 'the token is not in the pod')
  assert.ok(!text.includes('s3cret-value'), 'env values are not in the pod')
  const env = sandboxContainer(pod).env!
  assert.deepEqual(env.find((e) => e.name === 'WM_AGENT_TOKEN')?.valueFrom?.secretKeyRef, {
    name: 'wm-sb-0123abcd',
    key: 'agent-token',
  })
  assert.deepEqual(env.find((e) => e.name === 'API_PASSWORD')?.valueFrom?.secretKeyRef, {
    name: 'wm-sb-0123abcd',
    key: 'env.API_PASSWORD',
  })
})

test('the NetworkPolicy admits the server to the agent only, and egress by network mode', () => {
  const offline = sandboxPolicy(spec, settings()).spec!
  assert.deepEqual(offline.policyTypes, ['Ingress', 'Egress'])
  assert.deepEqual(offline.egress, [])
  assert.deepEqual(offline.ingress?.[0]?.ports, [{ protocol: 'TCP', port: 7070 }])
  assert.deepEqual(offline.podSelector?.matchLabels, {
    'wm.sandbox': 'sb_0123abcd',
    'wm.instance': 'inst-1',
  })
  const online = sandboxPolicy(
    { ...spec, networkMode: 'bridge' },
    settings({ WM_K8S_SERVER_CIDRS: '10.1.0.0/16' }),
  ).spec!
  assert.deepEqual(online.egress, [{}])
  assert.deepEqual(online.ingress?.[0]?._from, [{ ipBlock: { cidr: '10.1.0.0/16' } }])
})

test('egress: open is every public address and the cluster DNS; allowlist one ipBlock per entry', () => {
  const egress = (networkMode: string, egressAllow: string[] = []) =>
    sandboxPolicy({ ...spec, networkMode, egress: true, egressAllow }, settings()).spec!.egress
  const open = egress('open')!
  const v4 = open[0]?.to?.[0]?.ipBlock
  assert.equal(v4?.cidr, '0.0.0.0/0')
  for (const range of [
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
  ]) {
    assert.ok(v4?.except?.includes(range), range)
  }
  const v6 = open[0]?.to?.[1]?.ipBlock
  assert.equal(v6?.cidr, '::/0')
  for (const range of ['fc00::/7', 'fe80::/10', '::1/128'])
    assert.ok(v6?.except?.includes(range), range)
  assert.deepEqual(open[1]?.ports, [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ])
  assert.deepEqual(
    egress('allowlist', ['203.0.113.0/24', '198.51.100.7:5432', '[2001:db8::/32]:443']),
    [
      { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }] },
      { to: [{ ipBlock: { cidr: '198.51.100.7/32' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      { to: [{ ipBlock: { cidr: '2001:db8::/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ],
  )
  const wide = egress('allowlist', ['0.0.0.0/1'])![0]?.to?.[0]?.ipBlock
  assert.ok(
    wide?.except?.includes('10.0.0.0/8'),
    'a broad CIDR does not open the private ranges in it',
  )
  assert.deepEqual(egress('allowlist'), [], 'an empty allow list reaches nothing')
  assert.deepEqual(egress('none'), [])
})

test('the agent’s port admits the server’s pods by label, its networks, or anyone when neither is known', () => {
  const from = (env: Record<string, string>) =>
    sandboxPolicy(spec, settings(env)).spec!.ingress?.[0]?._from
  assert.deepEqual(from({}), [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }])
  const server = 'app.kubernetes.io/name=workspace-manager,app.kubernetes.io/component=server'
  const labels = {
    'app.kubernetes.io/name': 'workspace-manager',
    'app.kubernetes.io/component': 'server',
  }
  assert.deepEqual(from({ WM_K8S_SERVER_POD_LABELS: server }), [
    { podSelector: { matchLabels: labels } },
  ])
  assert.deepEqual(
    from({
      WM_K8S_SERVER_POD_LABELS: server,
      WM_K8S_SERVER_POD_NAMESPACE: 'workspace-manager',
      WM_K8S_SERVER_CIDRS: '10.1.0.0/16',
    }),
    [
      { ipBlock: { cidr: '10.1.0.0/16' } },
      {
        podSelector: { matchLabels: labels },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'workspace-manager' } },
      },
    ],
  )
})

test('workspace volume: hostPath, the workspace’s directory of the data claim, or the server’s NFS export', () => {
  const pod = (env: Record<string, string>) => sandboxPod(spec, settings(env)).spec!
  const volume = (env: Record<string, string>) =>
    pod(env).volumes!.find((v) => v.name === 'workspace')!
  const mount = (env: Record<string, string>) =>
    pod(env).containers[0]!.volumeMounts!.find((m) => m.name === 'workspace')!
  assert.deepEqual(volume({}).hostPath, { path: spec.workspaceHostDir, type: 'Directory' })
  assert.deepEqual(mount({}), { name: 'workspace', mountPath: '/workspace' })
  const pvc = { WM_K8S_WORKSPACE_VOLUME: 'pvc', WM_K8S_DATA_CLAIM: 'workspace-manager-data' }
  assert.deepEqual(volume(pvc).persistentVolumeClaim, { claimName: 'workspace-manager-data' })
  // Only the workspace's own directory of the data dir is in the sandbox.
  assert.deepEqual(mount(pvc), {
    name: 'workspace',
    mountPath: '/workspace',
    subPath: 'workspaces/ws_4567ef',
  })
  const nfs = settings({ WM_K8S_WORKSPACE_VOLUME: 'nfs', WM_K8S_NAMESPACE: 'sandboxes' })
  const pv = nfsVolume(spec, nfs)
  assert.deepEqual(pv.spec?.nfs, { server: '10.0.0.5', path: '/workspaces/ws_4567ef' })
  assert.ok(pv.spec?.mountOptions?.includes('port=12049'))
  assert.deepEqual(pv.spec?.claimRef, { namespace: 'sandboxes', name: 'wm-ws-ws-4567ef' })
  const bound = workspaceClaim(spec, nfs)
  assert.equal(bound.spec?.volumeName, pv.metadata?.name)
  assert.equal(bound.spec?.storageClassName, '')
})

test('runtime class, node selector and tolerations come from the configuration', () => {
  const plain = sandboxPod(spec, settings()).spec!
  assert.equal(plain.runtimeClassName, undefined)
  assert.equal(plain.nodeSelector, undefined)
  assert.equal(plain.tolerations, undefined)
  const placed = sandboxPod(
    spec,
    settings({
      WM_K8S_RUNTIME_CLASS: 'gvisor',
      WM_K8S_NODE_SELECTOR: 'pool=sandboxes, zone=a',
      WM_K8S_TOLERATIONS: '[{"key":"sandboxes","operator":"Exists","effect":"NoSchedule"}]',
      WM_K8S_IMAGE_PULL_POLICY: 'Never',
    }),
  ).spec!
  assert.equal(placed.runtimeClassName, 'gvisor')
  assert.deepEqual(placed.nodeSelector, { pool: 'sandboxes', zone: 'a' })
  assert.deepEqual(placed.tolerations, [
    { key: 'sandboxes', operator: 'Exists', effect: 'NoSchedule' },
  ])
  assert.equal(placed.containers[0]!.imagePullPolicy, 'Never')
})

test('bad Kubernetes variables are ConfigErrors naming the variable', () => {
  const bad: Array<[string, string]> = [
    ['WM_RUNTIME', 'k8s'],
    ['WM_K8S_NAMESPACE', 'Not_A_Name'],
    ['WM_K8S_RUNTIME_CLASS', 'g visor'],
    ['WM_K8S_WORKSPACE_VOLUME', 'emptyDir'],
    ['WM_K8S_DATA_CLAIM', 'Data_Claim'],
    ['WM_K8S_NODE_SELECTOR', 'pool'],
    ['WM_K8S_TOLERATIONS', '{"key":"x"}'],
    ['WM_K8S_TOLERATIONS', '[{"operator":"Maybe"}]'],
    ['WM_K8S_AGENT_IMAGE', 'Bad Image'],
    ['WM_K8S_IMAGE_PULL_POLICY', 'Sometimes'],
    ['WM_K8S_SERVER_CIDRS', 'everyone'],
    ['WM_K8S_SERVER_POD_LABELS', 'server'],
    ['WM_K8S_SERVER_POD_NAMESPACE', 'Server_NS'],
  ]
  for (const [name, value] of bad) {
    assert.throws(
      () => loadConfig({ WM_DATA_DIR: '/tmp', [name]: value }),
      (error: unknown) => error instanceof ConfigError && error.variable === name,
      `${name}=${value}`,
    )
  }
  // The data claim belongs to `pvc` mode: required there, refused where it would be ignored.
  for (const env of [
    { WM_K8S_WORKSPACE_VOLUME: 'pvc' },
    { WM_K8S_DATA_CLAIM: 'workspace-manager-data' },
    { WM_K8S_WORKSPACE_VOLUME: 'nfs', WM_K8S_DATA_CLAIM: 'workspace-manager-data' },
  ]) {
    assert.throws(
      () => loadConfig({ WM_DATA_DIR: '/tmp', ...env }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'WM_K8S_DATA_CLAIM',
      JSON.stringify(env),
    )
  }
  const config = loadConfig({ WM_DATA_DIR: '/tmp', WM_RUNTIME: 'kubernetes' })
  assert.equal(config.sandboxDefaults.runtime, 'kubernetes')
  assert.equal(config.kubernetes.namespace, 'workspace-manager')
  assert.equal(config.kubernetes.workspaceVolume, 'hostPath')
  assert.equal(config.kubernetes.imagePullPolicy, 'IfNotPresent')
})

test('pod states: missing images, unschedulable pods and running ones', () => {
  const images = { image: 'workspace-test:latest', agentImage: 'wm-agent:1' }
  const waiting = (name: string, reason: string): V1Pod => ({
    status: {
      phase: 'Pending',
      ...(name === 'agent-install'
        ? {
            initContainerStatuses: [
              {
                name,
                image: '',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason } },
              },
            ],
          }
        : {
            containerStatuses: [
              {
                name,
                image: '',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason } },
              },
            ],
          }),
    },
  })
  const kind = (pod: V1Pod) => {
    const progress = startProgress(pod, images)
    return typeof progress === 'string' ? progress : progress.kind
  }
  assert.equal(kind(waiting('sandbox', 'ErrImageNeverPull')), 'image_not_found')
  assert.equal(kind(waiting('sandbox', 'ContainerCreating')), 'pending')
  assert.equal(kind(waiting('agent-install', 'ErrImageNeverPull')), 'unavailable')
  assert.equal(kind(waiting('sandbox', 'InvalidImageName')), 'invalid')
  const unschedulable: V1Pod = {
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available',
        },
      ],
    },
  }
  assert.equal(kind(unschedulable), 'invalid')
  const running: V1Pod = {
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'sandbox',
          image: '',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: {} },
        },
      ],
    },
  }
  assert.equal(kind(running), 'running')
})

test('nodes: the largest allocatable, and images by their full names', () => {
  const nodes: V1Node[] = [
    { status: { allocatable: { cpu: '1900m', memory: '8Gi' } } },
    {
      status: {
        allocatable: { cpu: '4', memory: '16384Ki' },
        images: [{ names: ['docker.io/library/workspace-test:latest', 'sha256:abc'] }],
      },
    },
  ]
  assert.deepEqual(largestNode(nodes), { cpus: 4, memoryBytes: 16384 * 1024 })
  assert.equal(quantityBytes('1G'), 1e9)
  assert.equal(fullImageName('workspace-test'), 'docker.io/library/workspace-test:latest')
  assert.equal(fullImageName('me/tool:1'), 'docker.io/me/tool:1')
  assert.equal(fullImageName('registry.local:5000/tool'), 'registry.local:5000/tool:latest')
  assert.equal(nodesHaveImage(nodes, 'workspace-test'), true)
  assert.equal(nodesHaveImage(nodes, 'workspace-test:other'), false)
  assert.equal(objectName('wm_ws_SB_1'), 'wm-ws-sb-1')
})
