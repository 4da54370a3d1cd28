import type { KubeConfig } from '@kubernetes/client-node'
import {
  CoreV1Api,
  NetworkingV1Api,
  NodeV1Api,
  VersionApi,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node'
import type { FastifyBaseLogger } from 'fastify'
import type { KubernetesConfig } from '../../config/kubernetes.js'
import { RuntimeError } from '../errors.js'
import {
  LABELS,
  type AgentEndpoint,
  type ContainerStatus,
  type HostResources,
  type RuntimeCapabilities,
  type RuntimeEvent,
  type SandboxRuntime,
  type SandboxSpec,
} from '../types.js'
import { api, apiFailure, apiStatus, unlessMissing } from './api-errors.js'
import {
  createPod,
  deletePod,
  deleteRest,
  ensureWorkspaceVolume,
  readPod,
  readSecret,
  specOf,
  waitRunning,
  type Cluster,
} from './cluster.js'
import { REQUEST_TIMEOUT_MS, makeClient } from './client.js'
import { execInPod } from './exec.js'
import {
  AGENT_BINARY,
  AGENT_PORT,
  INSTANCE_LABEL,
  instanceSelector,
  objectName,
  sandboxPod,
  sandboxPolicy,
  sandboxSecret,
} from './objects.js'
import {
  largestNode,
  limitsBeyondNodes,
  nodesHaveImage,
  podExit,
  podRunning,
  toStatus,
} from './pod-state.js'
import { PortForwards } from './port-forward.js'
import { watchPods } from './watch.js'

/** Options of the Kubernetes runtime. */
export interface KubernetesRuntimeOptions {
  /** The cluster's client configuration (a kubeconfig file, or in-cluster). */
  kubeConfig: KubeConfig
  config: KubernetesConfig
  /** Identifies this server's objects among others in the namespace. */
  instanceId: string
  containerPrefix: string
  /** The image holding the agent at /wm-agent. */
  agentImage: string
  /** The server's NFS export, for WM_K8S_WORKSPACE_VOLUME=nfs. */
  nfs: { host: string; port: number }
  /** How long a pod has to reach Running. */
  startTimeoutSeconds: number
  log: FastifyBaseLogger
}

/** Only filesystem checkpoints are refused this way; the checkpoint service checks the capability first. */
const NO_FILESYSTEM_CHECKPOINTS =
  'filesystem checkpoints are not available on the Kubernetes runtime'

/**
 * Sandboxes as pods in one namespace, through @kubernetes/client-node: a
 * Secret holding the spec (`wm-<sandbox id>`, kept while the sandbox is
 * stopped), a pod named after the container name, and a NetworkPolicy.
 * A stopped sandbox has its Secret and no pod: the root filesystem goes
 * with the pod, the workspace stays. Pausing signals the sandbox's
 * processes from inside (the API has no freeze).
 */
export class KubernetesRuntime implements SandboxRuntime {
  readonly name = 'kubernetes'
  readonly capabilities: RuntimeCapabilities = {
    processCheckpoints: false,
    networkless: false,
    filesystemCheckpoints: false,
    // As ephemeral storage: the kubelet evicts a pod past it (writes do not fail).
    diskLimit: true,
  }
  readonly #options: KubernetesRuntimeOptions
  readonly #cluster: Cluster
  readonly #nodeApi: NodeV1Api
  readonly #version: VersionApi
  /** WM_K8S_AGENT_ACCESS=port-forward: the local listeners agents are reached through. */
  readonly #forwards: PortForwards | null
  #host: HostResources | null = null
  /** Whether WM_K8S_RUNTIME_CLASS was found (once found, it is not asked again). */
  #runtimeClassFound = false

  constructor(options: KubernetesRuntimeOptions) {
    this.#options = options
    const kc = options.kubeConfig
    this.#cluster = {
      core: makeClient(kc, CoreV1Api, REQUEST_TIMEOUT_MS),
      networking: makeClient(kc, NetworkingV1Api, REQUEST_TIMEOUT_MS),
      namespace: options.config.namespace,
      settings: {
        config: options.config,
        instanceId: options.instanceId,
        agentImage: options.agentImage,
        nfs: options.nfs,
      },
    }
    this.#nodeApi = makeClient(kc, NodeV1Api, REQUEST_TIMEOUT_MS)
    this.#version = makeClient(kc, VersionApi, REQUEST_TIMEOUT_MS)
    const forward = options.config.agentAccess === 'port-forward'
    const podName = (sandboxId: string) => this.#podName(sandboxId)
    const { log } = options
    this.#forwards = forward
      ? new PortForwards({ kubeConfig: kc, cluster: this.#cluster, port: AGENT_PORT, podName, log })
      : null
  }

  /** Closes the port-forward listeners, if any. */
  async close(): Promise<void> {
    await this.#forwards?.closeAll()
  }

  async ping(): Promise<void> {
    await api(() => this.#version.getCode(), { action: 'check it answers' })
  }

  async probe(): Promise<void> {
    const { config, log } = this.#options
    if (!config.runtimeClass) return
    try {
      await this.#requireRuntimeClass()
      log.info({ runtimeClass: config.runtimeClass }, 'sandbox pods run with their RuntimeClass')
    } catch (error) {
      log.warn({ err: error }, 'sandboxes cannot start until the RuntimeClass exists')
    }
  }

  async checkpointProcesses(): Promise<void> {
    throw new RuntimeError(
      'invalid',
      'process checkpoints are not available on the Kubernetes runtime',
    )
  }

  async hostResources(): Promise<HostResources> {
    if (this.#host) return this.#host
    const nodes = await api(() => this.#cluster.core.listNode(), {
      action: "ask for the nodes' CPUs and memory",
    })
    const largest = largestNode(nodes.items)
    if (!largest)
      throw new RuntimeError('unavailable', 'the cluster has no node to run sandboxes on')
    this.#host = largest
    return largest
  }

  async imageExists(image: string): Promise<boolean> {
    // The kubelet pulls images itself under Always: whether the registry has it shows at start.
    if (this.#options.config.imagePullPolicy === 'Always') return true
    const nodes = await api(() => this.#cluster.core.listNode(), {
      action: `look up image ${image}`,
    })
    return nodesHaveImage(nodes.items, image)
  }

  async start(spec: SandboxSpec): Promise<{ containerId: string }> {
    if (spec.restoreFrom) await this.checkpointProcesses()
    if (spec.runImageCommand) {
      // The image's entrypoint and cmd are in its registry config, which the Kubernetes API does
      // not show; guessing would run something else.
      throw new RuntimeError(
        'invalid',
        "the Kubernetes runtime cannot run the image's own command (its entrypoint is not known to the cluster API)",
        { image: spec.image },
      )
    }
    const beyond = limitsBeyondNodes(spec, await this.hostResources())
    if (beyond) throw beyond
    await this.#requireRuntimeClass()
    const cluster = this.#cluster
    const { namespace, settings } = cluster
    const secret = await api(
      () => cluster.core.createNamespacedSecret({ namespace, body: sandboxSecret(spec, settings) }),
      { action: 'create the sandbox Secret', sandboxId: spec.sandboxId },
    )
    try {
      await this.#startPod(spec)
    } catch (error) {
      // Leave nothing behind: a sandbox that does not start has no objects.
      await deletePod(cluster, objectName(spec.containerName), spec.sandboxId, 0).catch(
        () => undefined,
      )
      await deleteRest(cluster, spec.sandboxId).catch(() => undefined)
      throw error
    }
    return { containerId: secret.metadata?.uid ?? spec.sandboxId }
  }

  async inspect(sandboxId: string): Promise<ContainerStatus | undefined> {
    const secret = await readSecret(this.#cluster, sandboxId)
    if (!secret) return undefined
    const pod = await readPod(this.#cluster, this.#podName(sandboxId), sandboxId)
    return toStatus(sandboxId, secret, pod)
  }

  /** The pod's IP (`pod-ip`) or a local port-forward listener of this very pod (`port-forward`). */
  async agentEndpoint(sandboxId: string, _runHostDir?: string): Promise<AgentEndpoint> {
    const pod = await readPod(this.#cluster, this.#podName(sandboxId), sandboxId)
    const ours = pod?.metadata?.labels?.[INSTANCE_LABEL] === this.#options.instanceId
    const reachable = this.#forwards ? pod?.metadata?.uid : pod?.status?.podIP
    if (!pod || !ours || !podRunning(pod) || !reachable) {
      throw new RuntimeError('not_found', `sandbox ${sandboxId} has no running pod`, { sandboxId })
    }
    if (this.#forwards) return this.#forwards.endpoint(sandboxId, pod.metadata!.name!, reachable)
    return { host: reachable, port: AGENT_PORT }
  }

  async stop(sandboxId: string, graceSeconds: number): Promise<void> {
    await this.#requireSecret(sandboxId)
    // A stopped process cannot act on SIGTERM: thawed first, it gets its grace.
    await this.unpause(sandboxId)
    await deletePod(this.#cluster, this.#podName(sandboxId), sandboxId, graceSeconds)
    this.#forwards?.close(sandboxId)
  }

  async startExisting(sandboxId: string): Promise<void> {
    const secret = await this.#requireSecret(sandboxId)
    const name = this.#podName(sandboxId)
    const pod = await readPod(this.#cluster, name, sandboxId)
    if (pod && !pod.metadata?.deletionTimestamp && !podExit(pod)) return
    // An ended or leaving pod cannot run again: a new one takes its name.
    if (pod) await deletePod(this.#cluster, name, sandboxId, 0)
    const spec = specOf(secret)
    try {
      await this.#startPod(spec)
    } catch (error) {
      await deletePod(this.#cluster, name, sandboxId, 0).catch(() => undefined)
      throw error
    }
  }

  async remove(sandboxId: string, graceSeconds: number): Promise<void> {
    await this.unpause(sandboxId).catch((error: unknown) => {
      if ((error as RuntimeError).kind === 'unavailable') throw error
    })
    await deletePod(this.#cluster, this.#podName(sandboxId), sandboxId, graceSeconds)
    this.#forwards?.close(sandboxId)
    await deleteRest(this.#cluster, sandboxId)
  }

  async listManaged(): Promise<ContainerStatus[]> {
    const { core, namespace } = this.#cluster
    const labelSelector = instanceSelector(this.#options.instanceId)
    const what = { action: 'list sandboxes' }
    const secrets = await api(() => core.listNamespacedSecret({ namespace, labelSelector }), what)
    const pods = await api(() => core.listNamespacedPod({ namespace, labelSelector }), what)
    const podOf = new Map(pods.items.map((pod) => [pod.metadata?.labels?.[LABELS.sandbox], pod]))
    return secrets.items.map((secret) => {
      const sandboxId = secret.metadata?.labels?.[LABELS.sandbox] ?? ''
      return toStatus(sandboxId, secret, podOf.get(sandboxId))
    })
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    const { kubeConfig, instanceId } = this.#options
    const { core, namespace } = this.#cluster
    return watchPods(kubeConfig, core, namespace, instanceSelector(instanceId), listener)
  }

  async pause(sandboxId: string): Promise<void> {
    await this.#signalAll(sandboxId, 'freeze', true)
  }

  async unpause(sandboxId: string): Promise<void> {
    await this.#signalAll(sandboxId, 'thaw', false)
  }

  async commit(): Promise<void> {
    throw new RuntimeError('invalid', NO_FILESYSTEM_CHECKPOINTS)
  }

  /** No image is ever made by `commit` here: nothing to remove. */
  async removeImage(): Promise<void> {}

  async listImages(): Promise<Array<{ id: string; value: string; createdAt: number }>> {
    return []
  }

  /**
   * Runs `wm-agent freeze|thaw` in the sandbox container: it signals every
   * process of the container but PID 1 (the agent) and itself. Without a
   * Secret or running pod there is nothing to freeze: `not_found` when
   * `required`, nothing otherwise.
   */
  async #signalAll(sandboxId: string, verb: 'freeze' | 'thaw', required: boolean): Promise<void> {
    const missing = () =>
      new RuntimeError('not_found', `sandbox ${sandboxId} has no running container`, { sandboxId })
    const secret = await readSecret(this.#cluster, sandboxId)
    const pod = secret && (await readPod(this.#cluster, this.#podName(sandboxId), sandboxId))
    if (!pod || !podRunning(pod) || pod.metadata?.deletionTimestamp) {
      if (required) throw missing()
      return
    }
    const action = { action: `${verb} the sandbox's processes`, sandboxId }
    const result = await execInPod(
      this.#options.kubeConfig,
      this.#cluster.namespace,
      this.#podName(sandboxId),
      [AGENT_BINARY, verb],
    ).catch((error: unknown) => {
      if (apiStatus(error) === 404 && !required) return undefined
      throw apiFailure(error, action)
    })
    if (result && result.exitCode !== 0) {
      throw new RuntimeError(
        'failed',
        `could not ${action.action}: wm-agent ${verb} exited with ${result.exitCode}: ${result.stderr.trim()}`,
        { sandboxId },
      )
    }
  }

  /** Makes the sandbox's policy, workspace volume and pod, and waits until the pod runs. */
  async #startPod(spec: SandboxSpec): Promise<void> {
    const cluster = this.#cluster
    const { namespace, settings } = cluster
    await ensureWorkspaceVolume(cluster, spec)
    await cluster.networking
      .createNamespacedNetworkPolicy({ namespace, body: sandboxPolicy(spec, settings) })
      .catch((error: unknown) => {
        // startExisting finds the policy of before in place.
        if (apiStatus(error) !== 409)
          throw apiFailure(error, { action: 'create the NetworkPolicy' })
      })
    const pod: V1Pod = sandboxPod(spec, settings)
    await createPod(cluster, pod, spec)
    await waitRunning(cluster, pod.metadata!.name!, spec, this.#options.startTimeoutSeconds * 1000)
  }

  /** Fail closed: without its RuntimeClass a pod would run under the node's default runtime. */
  async #requireRuntimeClass(): Promise<void> {
    const name = this.#options.config.runtimeClass
    if (!name || this.#runtimeClassFound) return
    const found = await unlessMissing(() => this.#nodeApi.readRuntimeClass({ name }), {
      action: `look up RuntimeClass ${name}`,
    })
    if (!found) {
      throw new RuntimeError(
        'invalid',
        `the cluster has no RuntimeClass ${name} (WM_K8S_RUNTIME_CLASS): sandboxes cannot start under it`,
      )
    }
    this.#runtimeClassFound = true
  }

  async #requireSecret(sandboxId: string): Promise<V1Secret> {
    const secret = await readSecret(this.#cluster, sandboxId)
    if (!secret)
      throw new RuntimeError('not_found', `sandbox ${sandboxId} has no container`, { sandboxId })
    return secret
  }

  #podName(sandboxId: string): string {
    return objectName(`${this.#options.containerPrefix}${sandboxId}`)
  }
}
