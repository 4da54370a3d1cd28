import type {
  V1Container,
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Secret,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node'
import type { KubernetesConfig } from '../../config/kubernetes.js'
import { KEPT_CAPABILITIES } from '../docker/container-config.js'
import { LABELS, type SandboxSpec } from '../types.js'
import { kubernetesEgress } from '../../egress/kubernetes-egress.js'

/**
 * The Kubernetes objects of one sandbox, as pure functions of its spec and
 * the configuration: every isolation decision of the Kubernetes runtime is
 * made here (and unit-tested without a cluster), as container-config.ts
 * does for Docker.
 */

/** Label tying objects to one server's data dir (the same key as the Docker runtime's). */
export const INSTANCE_LABEL = 'wm.instance'
/** Port the agent listens on inside the pod. */
export const AGENT_PORT = 7070
/** Name of the sandbox's container in its pod. */
export const SANDBOX_CONTAINER = 'sandbox'
/** Name of the init container that puts the agent in place. */
export const INSTALL_CONTAINER = 'agent-install'
/** Where the agent is installed (an emptyDir, read-only in the sandbox container). */
export const AGENT_DIR = '/wm/bin'
export const AGENT_BINARY = `${AGENT_DIR}/wm-agent`
/** Where the server reads a sandbox's spec back from its Secret. */
export const SPEC_KEY = 'spec.json'
const TOKEN_KEY = 'agent-token'
const WORKSPACE_VOLUME = 'workspace'
const AGENT_VOLUME = 'wm-bin'

/** What the builders need besides the spec. */
export interface ObjectSettings {
  config: KubernetesConfig
  instanceId: string
  /** The agent image actually used (config.agentImage or its default). */
  agentImage: string
  /** The server's NFS export, for `nfs` mode. */
  nfs: { host: string; port: number }
}

/** A name Kubernetes accepts (DNS-1123): lower case, `_` as `-`. */
export function objectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 253)
}

export const secretName = (sandboxId: string) => objectName(`wm-${sandboxId}`)
export const policyName = secretName
export const claimName = (workspaceId: string) => objectName(`wm-ws-${workspaceId}`)
/** PersistentVolumes are cluster-wide: the namespace is part of the name in `nfs` mode. */
export const volumeName = (namespace: string, workspaceId: string) =>
  objectName(`wm-ws-${namespace}-${workspaceId}`)

/** Labels of every object of the sandbox; these select them. */
export function sandboxLabels(
  spec: Pick<SandboxSpec, 'sandboxId' | 'workspaceId'>,
  instanceId: string,
): Record<string, string> {
  return {
    [LABELS.managed]: '1',
    [LABELS.sandbox]: spec.sandboxId,
    [LABELS.workspace]: spec.workspaceId,
    [INSTANCE_LABEL]: instanceId,
  }
}

/** The selector of every object of one instance. */
export const instanceSelector = (instanceId: string) =>
  `${LABELS.managed}=1,${INSTANCE_LABEL}=${instanceId}`

/** Secret data keys of the spec's environment: `env.<NAME>`. */
const envKey = (name: string) => `env.${name}`

/**
 * The Secret that holds the whole spec (the agent token and the environment
 * among it): the pod refers to it, so no secret value is in the pod object,
 * and a stopped sandbox's pod can be made again from it.
 */
export function sandboxSecret(spec: SandboxSpec, settings: ObjectSettings): V1Secret {
  const stringData: Record<string, string> = {
    [SPEC_KEY]: JSON.stringify(spec),
    [TOKEN_KEY]: spec.agentToken,
  }
  for (const [name, value] of Object.entries(spec.env)) stringData[envKey(name)] = value
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName(spec.sandboxId),
      labels: { ...spec.labels, ...sandboxLabels(spec, settings.instanceId) },
    },
    type: 'Opaque',
    stringData,
  }
}

/**
 * Limits as the Docker runtime sets them. Memory is requested in full (it
 * cannot be taken back without killing). CPU, which is only throttled, is
 * requested at a quarter of the limit: Docker reserves nothing for a
 * sandbox, and requests equal to limits would let a 2-CPU node hold only two
 * 1-CPU sandboxes whatever they do. A root filesystem size is ephemeral
 * storage, requested in full so the pod lands where it fits; the kubelet
 * evicts a pod past it rather than failing its writes.
 */
export function podResources(spec: Pick<SandboxSpec, 'nanoCpus' | 'memoryBytes' | 'diskBytes'>) {
  const millis = Math.max(1, Math.round(spec.nanoCpus / 1e6))
  const memory = String(spec.memoryBytes)
  const disk: Record<string, string> = spec.diskBytes
    ? { 'ephemeral-storage': String(spec.diskBytes) }
    : {}
  return {
    requests: { cpu: `${Math.max(1, Math.round(millis / CPU_REQUEST_SHARE))}m`, memory, ...disk },
    limits: { cpu: `${millis}m`, memory, ...disk },
  }
}

/** The share of its CPU limit a sandbox pod requests: 1/4. */
export const CPU_REQUEST_SHARE = 4

/** The security baseline of both containers: what Docker's `containerConfig` enforces. */
export function securityContext() {
  return {
    capabilities: { drop: ['ALL'], add: [...KEPT_CAPABILITIES] },
    allowPrivilegeEscalation: false,
    privileged: false,
    seccompProfile: { type: 'RuntimeDefault' },
  }
}

/**
 * The workspace volume of the pod, by `config.workspaceVolume`: the
 * workspace directory of the node (`hostPath`), the server's data claim
 * (`pvc`, mounted at the workspace's directory by `workspaceMount`), or the
 * workspace's claim on the server's NFS export (`nfs`).
 */
export function workspaceVolume(spec: SandboxSpec, settings: ObjectSettings): V1Volume {
  const { config } = settings
  switch (config.workspaceVolume) {
    case 'hostPath':
      return {
        name: WORKSPACE_VOLUME,
        hostPath: { path: spec.workspaceHostDir, type: 'Directory' },
      }
    case 'pvc':
      if (!config.dataClaim) throw new Error('pvc workspaces need WM_K8S_DATA_CLAIM')
      return {
        name: WORKSPACE_VOLUME,
        persistentVolumeClaim: { claimName: config.dataClaim },
      }
    case 'nfs':
      return {
        name: WORKSPACE_VOLUME,
        persistentVolumeClaim: { claimName: claimName(spec.workspaceId) },
      }
  }
}

/** The data claim's directory of a workspace: where WorkspaceService keeps it under WM_DATA_DIR. */
export const workspaceSubPath = (workspaceId: string) => `workspaces/${workspaceId}`

/**
 * Where the workspace volume appears in the sandbox container. With the
 * data claim (`pvc`) only the workspace's own directory is mounted: the
 * kubelet resolves a subPath inside the volume without following symlinks
 * out of it, so the sandbox sees nothing else of the data dir.
 */
export function workspaceMount(spec: SandboxSpec, settings: ObjectSettings): V1VolumeMount {
  return {
    name: WORKSPACE_VOLUME,
    mountPath: spec.containerWorkspaceDir,
    ...(settings.config.workspaceVolume === 'pvc'
      ? { subPath: workspaceSubPath(spec.workspaceId) }
      : {}),
  }
}

/**
 * The sandbox's pod: an init container copies the agent into an emptyDir,
 * the sandbox container runs the template image with the agent as PID 1
 * listening on TCP. `imageCommand` is the image's own command when the
 * agent is to run it too.
 */
export function sandboxPod(
  spec: SandboxSpec,
  settings: ObjectSettings,
  imageCommand: string[] = [],
): V1Pod {
  const { config } = settings
  const secret = secretName(spec.sandboxId)
  const fromSecret = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key } },
  })
  const resources = podResources(spec)
  const install: V1Container = {
    name: INSTALL_CONTAINER,
    image: settings.agentImage,
    imagePullPolicy: config.imagePullPolicy,
    command: ['/wm-agent', 'install', AGENT_BINARY],
    volumeMounts: [{ name: AGENT_VOLUME, mountPath: AGENT_DIR }],
    securityContext: securityContext(),
    // As large as the sandbox's: the pod's effective request stays the sandbox's own.
    resources,
  }
  const sandbox: V1Container = {
    name: SANDBOX_CONTAINER,
    image: spec.image,
    imagePullPolicy: config.imagePullPolicy,
    command: [AGENT_BINARY],
    args: [
      '--socket',
      '',
      '--listen',
      `tcp://0.0.0.0:${AGENT_PORT}`,
      '--workdir',
      spec.containerWorkspaceDir,
      ...(imageCommand.length ? ['--', ...imageCommand] : []),
    ],
    workingDir: spec.containerWorkspaceDir,
    env: [
      ...Object.keys(spec.env).map((name) => fromSecret(name, envKey(name))),
      fromSecret('WM_AGENT_TOKEN', TOKEN_KEY),
      { name: 'WM_SANDBOX_ID', value: spec.sandboxId },
    ],
    ports: [{ name: 'agent', containerPort: AGENT_PORT, protocol: 'TCP' }],
    volumeMounts: [
      workspaceMount(spec, settings),
      { name: AGENT_VOLUME, mountPath: AGENT_DIR, readOnly: true },
    ],
    securityContext: securityContext(),
    resources,
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: objectName(spec.containerName),
      labels: { ...spec.labels, ...sandboxLabels(spec, settings.instanceId) },
    },
    spec: {
      hostname: objectName(spec.sandboxId).replace(/\./g, '-').slice(0, 63),
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // The lifecycle gives SIGTERM's grace itself (stop and remove pass their own).
      terminationGracePeriodSeconds: 5,
      initContainers: [install],
      containers: [sandbox],
      volumes: [
        workspaceVolume(spec, settings),
        { name: AGENT_VOLUME, emptyDir: { sizeLimit: '256Mi' } },
      ],
      ...(config.runtimeClass ? { runtimeClassName: config.runtimeClass } : {}),
      ...(Object.keys(config.nodeSelector).length
        ? { nodeSelector: { ...config.nodeSelector } }
        : {}),
      ...(config.tolerations.length
        ? { tolerations: config.tolerations.map((t) => ({ ...t })) }
        : {}),
    },
  }
}

/**
 * Who may reach a sandbox's agent: the server's pods by their labels
 * (WM_K8S_SERVER_POD_LABELS, in WM_K8S_SERVER_POD_NAMESPACE) and the
 * networks of WM_K8S_SERVER_CIDRS; any address when neither is set (a
 * server outside the cluster whose address the pods cannot know). The agent
 * still requires its token from whoever connects.
 */
export function serverPeers(config: KubernetesConfig): V1NetworkPolicyPeer[] {
  const peers: V1NetworkPolicyPeer[] = config.serverCidrs.map((cidr) => ({ ipBlock: { cidr } }))
  if (Object.keys(config.serverPodLabels).length) {
    peers.push({
      podSelector: { matchLabels: { ...config.serverPodLabels } },
      ...(config.serverPodNamespace
        ? {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': config.serverPodNamespace },
            },
          }
        : {}),
    })
  }
  return peers.length ? peers : [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }]
}

/**
 * The sandbox's NetworkPolicy: no ingress but the server's to the agent's
 * port; egress by network mode (see `kubernetesEgress`): none for `none`,
 * public addresses for `open`, the listed CIDRs for `allowlist`, anything for
 * the legacy `bridge` (and any other engine network name).
 */
export function sandboxPolicy(spec: SandboxSpec, settings: ObjectSettings): V1NetworkPolicy {
  const from = serverPeers(settings.config)
  const mode = ['none', 'allowlist', 'open'].includes(spec.networkMode)
    ? spec.networkMode
    : 'bridge'
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: policyName(spec.sandboxId),
      labels: sandboxLabels(spec, settings.instanceId),
    },
    spec: {
      podSelector: {
        matchLabels: {
          [LABELS.sandbox]: spec.sandboxId,
          [INSTANCE_LABEL]: settings.instanceId,
        },
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: from, ports: [{ protocol: 'TCP', port: AGENT_PORT }] }],
      // An empty rule list denies all; one empty rule allows all.
      egress: kubernetesEgress(mode, spec.egressAllow ?? []),
    },
  }
}

/**
 * The workspace's claim in `nfs` mode, shared by the workspace's sandboxes,
 * so ReadWriteMany, bound to the workspace's volume below.
 */
export function workspaceClaim(
  spec: Pick<SandboxSpec, 'workspaceId'>,
  settings: ObjectSettings,
): V1PersistentVolumeClaim {
  const { config } = settings
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(spec.workspaceId),
      labels: {
        [LABELS.managed]: '1',
        [LABELS.workspace]: spec.workspaceId,
        [INSTANCE_LABEL]: settings.instanceId,
      },
    },
    spec: {
      accessModes: ['ReadWriteMany'],
      // A claim must ask for a size; the workspace's own quota is the server's business.
      resources: { requests: { storage: '1Gi' } },
      storageClassName: '',
      volumeName: volumeName(config.namespace, spec.workspaceId),
    },
  }
}

/**
 * In `nfs` mode, the PersistentVolume of the workspace's export on the
 * server's NFS server: an inline `nfs` volume cannot name a port, a
 * PersistentVolume's mount options can.
 */
export function nfsVolume(
  spec: Pick<SandboxSpec, 'workspaceId'>,
  settings: ObjectSettings,
): V1PersistentVolume {
  const { nfs, config } = settings
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: volumeName(config.namespace, spec.workspaceId),
      labels: {
        [LABELS.managed]: '1',
        [LABELS.workspace]: spec.workspaceId,
        [INSTANCE_LABEL]: settings.instanceId,
      },
    },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      mountOptions: ['nfsvers=4.1', `port=${nfs.port}`, 'hard'],
      nfs: { server: nfs.host, path: `/workspaces/${spec.workspaceId}` },
      claimRef: { namespace: config.namespace, name: claimName(spec.workspaceId) },
    },
  }
}
