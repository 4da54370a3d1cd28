/**
 * The variables of the Kubernetes runtime (WM_RUNTIME=kubernetes). Read
 * whatever the runtime, so that a bad value is refused at start-up even
 * before it matters.
 */
import {
  ConfigError,
  type Env,
  readChoice,
  readImageReference,
  readList,
  readString,
} from './parse.js'

/** Where a sandbox pod's workspace comes from. */
export type WorkspaceVolumeMode = 'hostPath' | 'pvc' | 'nfs'

/**
 * How the server reaches agents: at the pod's IP, or through the API
 * server's port-forward (a server outside the cluster's network).
 */
export type AgentAccessMode = 'pod-ip' | 'port-forward'

/** One toleration, as the Kubernetes API has it. */
export interface Toleration {
  key?: string
  operator?: 'Exists' | 'Equal'
  value?: string
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
  tolerationSeconds?: number
}

/** The Kubernetes runtime's configuration. */
export interface KubernetesConfig {
  /** WM_KUBECONFIG: a kubeconfig file; null for the in-cluster service account. */
  kubeconfig: string | null
  /** WM_K8S_NAMESPACE: where sandboxes' pods, Secrets and policies are made. */
  namespace: string
  /** WM_K8S_RUNTIME_CLASS: RuntimeClass of sandbox pods (e.g. gVisor); null for the node's default. */
  runtimeClass: string | null
  /** WM_K8S_WORKSPACE_VOLUME: how the workspace reaches the pod. */
  workspaceVolume: WorkspaceVolumeMode
  /**
   * WM_K8S_DATA_CLAIM: in `pvc` mode, the ReadWriteMany claim (in the
   * sandboxes' namespace) that holds the server's WM_DATA_DIR; a sandbox pod
   * mounts its workspace's directory of it (`subPath`). Null in other modes.
   */
  dataClaim: string | null
  /** WM_K8S_NODE_SELECTOR: labels a node must have to run sandboxes. */
  nodeSelector: Record<string, string>
  /** WM_K8S_TOLERATIONS: taints sandbox pods tolerate. */
  tolerations: Toleration[]
  /** WM_K8S_AGENT_IMAGE: image holding the agent at /wm-agent; null for `wm-agent:<agent version>`. */
  agentImage: string | null
  /** WM_K8S_IMAGE_PULL_POLICY: of template and agent images. */
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never'
  /**
   * WM_K8S_AGENT_ACCESS: `pod-ip` connects to the pod's IP (the server runs
   * where pod IPs route); `port-forward` goes through the API server, which
   * needs only the kubeconfig's address.
   */
  agentAccess: AgentAccessMode
  /** WM_K8S_SERVER_CIDRS: networks the server reaches agents from. */
  serverCidrs: string[]
  /** WM_K8S_SERVER_POD_LABELS: labels of the server's own pods, admitted to agents by selector. */
  serverPodLabels: Record<string, string>
  /** WM_K8S_SERVER_POD_NAMESPACE: where those pods are; null for the sandboxes' namespace. */
  serverPodNamespace: string | null
}

/** A DNS-1123 label: what namespaces and RuntimeClasses are named with. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
/** A label key (optional DNS prefix and a name) and a label value, as the API checks them. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/
const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/

/** A DNS-1123 subdomain: what claims and most other objects are named with. */
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function readDnsSubdomain(env: Env, name: string): string | undefined {
  const value = readString(env, name)
  if (value !== undefined && !DNS_SUBDOMAIN.test(value)) {
    throw new ConfigError(name, `"${value}" is not a Kubernetes object name (a-z, 0-9, - and .)`)
  }
  return value
}

function readDnsLabel(env: Env, name: string): string | undefined {
  const value = readString(env, name)
  if (value !== undefined && !DNS_LABEL.test(value)) {
    throw new ConfigError(name, `"${value}" is not a DNS label (a-z, 0-9 and -, at most 63)`)
  }
  return value
}

/** `k=v,k=v` into a map of labels. */
function readLabels(env: Env, name: string): Record<string, string> {
  const selector: Record<string, string> = {}
  for (const pair of readList(env, name)) {
    const equals = pair.indexOf('=')
    const key = equals === -1 ? '' : pair.slice(0, equals).trim()
    const value = equals === -1 ? '' : pair.slice(equals + 1).trim()
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      throw new ConfigError(name, `expected label=value pairs like "app=server", got "${pair}"`)
    }
    selector[key] = value
  }
  return selector
}

const TOLERATION_KEYS = new Set(['key', 'operator', 'value', 'effect', 'tolerationSeconds'])

/** A JSON array of tolerations, each checked field by field. */
function readTolerations(env: Env): Toleration[] {
  const name = 'WM_K8S_TOLERATIONS'
  const value = readString(env, name)
  if (value === undefined) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new ConfigError(name, 'expected a JSON array of tolerations')
  }
  if (!Array.isArray(parsed)) throw new ConfigError(name, 'expected a JSON array of tolerations')
  return parsed.map((item: unknown, index) => {
    const bad = (why: string) => new ConfigError(name, `toleration ${index}: ${why}`)
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw bad('expected an object')
    const entry = item as Record<string, unknown>
    for (const key of Object.keys(entry))
      if (!TOLERATION_KEYS.has(key)) throw bad(`unknown field "${key}"`)
    for (const key of ['key', 'value'] as const) {
      if (entry[key] !== undefined && typeof entry[key] !== 'string')
        throw bad(`${key} must be a string`)
    }
    if (entry.operator !== undefined && entry.operator !== 'Exists' && entry.operator !== 'Equal') {
      throw bad('operator must be Exists or Equal')
    }
    const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute']
    if (entry.effect !== undefined && !effects.includes(entry.effect as string)) {
      throw bad(`effect must be one of ${effects.join(', ')}`)
    }
    const seconds = entry.tolerationSeconds
    if (seconds !== undefined && !(typeof seconds === 'number' && Number.isSafeInteger(seconds))) {
      throw bad('tolerationSeconds must be a whole number')
    }
    return entry as Toleration
  })
}

function readCidrs(env: Env): string[] {
  return readList(env, 'WM_K8S_SERVER_CIDRS').map((entry) => {
    if (!CIDR.test(entry)) {
      throw new ConfigError('WM_K8S_SERVER_CIDRS', `"${entry}" is not a CIDR (e.g. 10.0.0.0/8)`)
    }
    return entry
  })
}

/**
 * The data claim of `pvc` mode: required there, since a claim of its own
 * per workspace would be storage the server does not see (no file API, no
 * NFS export, no checkpoints); refused elsewhere, where it would be ignored.
 */
function readDataClaim(env: Env, mode: WorkspaceVolumeMode): string | null {
  const name = 'WM_K8S_DATA_CLAIM'
  const claim = readDnsSubdomain(env, name)
  if (mode === 'pvc' && claim === undefined) {
    throw new ConfigError(
      name,
      'required with WM_K8S_WORKSPACE_VOLUME=pvc: the ReadWriteMany claim the servers mount at WM_DATA_DIR',
    )
  }
  if (mode !== 'pvc' && claim !== undefined) {
    throw new ConfigError(name, `only used with WM_K8S_WORKSPACE_VOLUME=pvc (it is ${mode})`)
  }
  return claim ?? null
}

/** Reads the Kubernetes runtime's variables; throws ConfigError naming the first bad one. */
export function readKubernetes(env: Env): KubernetesConfig {
  const agentImage = readString(env, 'WM_K8S_AGENT_IMAGE')
  const workspaceVolume = readChoice(
    env,
    'WM_K8S_WORKSPACE_VOLUME',
    ['hostPath', 'pvc', 'nfs'] as const,
    'hostPath',
  )
  return {
    kubeconfig: readString(env, 'WM_KUBECONFIG') ?? null,
    namespace: readDnsLabel(env, 'WM_K8S_NAMESPACE') ?? 'workspace-manager',
    runtimeClass: readDnsLabel(env, 'WM_K8S_RUNTIME_CLASS') ?? null,
    workspaceVolume,
    dataClaim: readDataClaim(env, workspaceVolume),
    nodeSelector: readLabels(env, 'WM_K8S_NODE_SELECTOR'),
    tolerations: readTolerations(env),
    agentImage:
      agentImage === undefined ? null : readImageReference(env, 'WM_K8S_AGENT_IMAGE', agentImage),
    imagePullPolicy: readChoice(
      env,
      'WM_K8S_IMAGE_PULL_POLICY',
      ['Always', 'IfNotPresent', 'Never'] as const,
      'IfNotPresent',
    ),
    agentAccess: readChoice(
      env,
      'WM_K8S_AGENT_ACCESS',
      ['pod-ip', 'port-forward'] as const,
      'pod-ip',
    ),
    serverCidrs: readCidrs(env),
    serverPodLabels: readLabels(env, 'WM_K8S_SERVER_POD_LABELS'),
    serverPodNamespace: readDnsLabel(env, 'WM_K8S_SERVER_POD_NAMESPACE') ?? null,
  }
}
