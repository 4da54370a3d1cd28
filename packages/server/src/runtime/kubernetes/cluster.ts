import type { CoreV1Api, NetworkingV1Api, V1Pod, V1Secret } from '@kubernetes/client-node'
import { RuntimeError } from '../errors.js'
import type { SandboxSpec } from '../types.js'
import { api, apiFailure, apiStatus, unlessMissing } from './api-errors.js'
import {
  INSTANCE_LABEL,
  SPEC_KEY,
  nfsVolume,
  policyName,
  secretName,
  workspaceClaim,
  type ObjectSettings,
} from './objects.js'
import { startProgress } from './pod-state.js'

/**
 * The API calls on one sandbox's objects, shared by the runtime's methods:
 * reading its Secret back, making and deleting its pod, waiting on both.
 */

/** How often a wait asks again: a pod starts in about a second on an idle node. */
const POLL_MS = 200

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The API clients and settings of one runtime. */
export interface Cluster {
  core: CoreV1Api
  networking: NetworkingV1Api
  namespace: string
  settings: ObjectSettings
}

/** The sandbox's Secret when it belongs to this instance; `undefined` otherwise. */
export async function readSecret(
  cluster: Cluster,
  sandboxId: string,
): Promise<V1Secret | undefined> {
  const secret = await unlessMissing(
    () =>
      cluster.core.readNamespacedSecret({
        name: secretName(sandboxId),
        namespace: cluster.namespace,
      }),
    { action: 'read the sandbox Secret' },
  )
  if (secret?.metadata?.labels?.[INSTANCE_LABEL] !== cluster.settings.instanceId) return undefined
  return secret
}

/** The spec the Secret holds (written by `sandboxSecret`). */
export function specOf(secret: V1Secret): SandboxSpec {
  const raw = secret.data?.[SPEC_KEY]
  if (!raw)
    throw new RuntimeError('failed', `Secret ${secret.metadata?.name} holds no sandbox spec`)
  return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as SandboxSpec
}

/** The pod named `name`, or `undefined`. */
export function readPod(
  cluster: Cluster,
  name: string,
  sandboxId: string,
): Promise<V1Pod | undefined> {
  return unlessMissing(
    () => cluster.core.readNamespacedPod({ name, namespace: cluster.namespace }),
    {
      action: 'read the pod',
      sandboxId,
    },
  )
}

/** Deletes the pod (SIGTERM, SIGKILL after `graceSeconds`) and waits until it is gone; none is fine. */
export async function deletePod(
  cluster: Cluster,
  name: string,
  sandboxId: string,
  graceSeconds: number,
): Promise<void> {
  await unlessMissing(
    () =>
      cluster.core.deleteNamespacedPod({
        name,
        namespace: cluster.namespace,
        gracePeriodSeconds: graceSeconds,
      }),
    { action: 'delete the pod', sandboxId },
  )
  // The kubelet needs the grace and a little more; a node that never confirms is the engine failing.
  const deadline = Date.now() + (graceSeconds + 60) * 1000
  while (await readPod(cluster, name, sandboxId)) {
    if (Date.now() > deadline) {
      throw new RuntimeError(
        'failed',
        `the pod ${name} was not gone ${graceSeconds + 60} s after its deletion`,
        {
          sandboxId,
        },
      )
    }
    await pause(POLL_MS)
  }
}

/** Deletes the sandbox's NetworkPolicy and Secret; missing ones are fine. */
export async function deleteRest(cluster: Cluster, sandboxId: string): Promise<void> {
  const { namespace } = cluster
  await unlessMissing(
    () =>
      cluster.networking.deleteNamespacedNetworkPolicy({ name: policyName(sandboxId), namespace }),
    { action: 'delete the NetworkPolicy' },
  )
  await unlessMissing(
    () => cluster.core.deleteNamespacedSecret({ name: secretName(sandboxId), namespace }),
    { action: 'delete the Secret' },
  )
}

/**
 * In `nfs` mode, makes the workspace's volume and claim unless they exist:
 * workspaces outlive sandboxes, so these are never deleted here. The other
 * modes mount what is already there (the node's directory, the data claim).
 */
export async function ensureWorkspaceVolume(cluster: Cluster, spec: SandboxSpec): Promise<void> {
  const { settings, namespace, core } = cluster
  if (settings.config.workspaceVolume !== 'nfs') return
  const ignoreExisting = (error: unknown) => {
    if (apiStatus(error) !== 409) throw apiFailure(error, { action: 'make the workspace volume' })
  }
  await core.createPersistentVolume({ body: nfsVolume(spec, settings) }).catch(ignoreExisting)
  await core
    .createNamespacedPersistentVolumeClaim({ namespace, body: workspaceClaim(spec, settings) })
    .catch(ignoreExisting)
}

/** Creates the pod; `conflict` when one of that name exists. */
export async function createPod(cluster: Cluster, pod: V1Pod, spec: SandboxSpec): Promise<void> {
  await api(() => cluster.core.createNamespacedPod({ namespace: cluster.namespace, body: pod }), {
    action: 'create the pod',
    sandboxId: spec.sandboxId,
    refusal: "the engine refused the sandbox's settings",
  })
}

/**
 * Waits until the pod runs its sandbox container; throws what kept it from
 * it (missing image, no node can run it, refused) or, after `timeoutMs`,
 * that it did not start.
 */
export async function waitRunning(
  cluster: Cluster,
  name: string,
  spec: SandboxSpec,
  timeoutMs: number,
): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs
  const images = { image: spec.image, agentImage: cluster.settings.agentImage }
  for (;;) {
    const pod = await readPod(cluster, name, spec.sandboxId)
    if (!pod) {
      throw new RuntimeError('failed', `the pod ${name} was deleted while it started`, {
        sandboxId: spec.sandboxId,
      })
    }
    const progress = startProgress(pod, images)
    if (progress === 'running') return pod
    if (progress !== 'pending') throw progress
    if (Date.now() > deadline) {
      throw new RuntimeError(
        'failed',
        `the pod ${name} was not running ${Math.round(timeoutMs / 1000)} s after its creation (${pod.status?.phase ?? 'no status'})`,
        { sandboxId: spec.sandboxId, image: spec.image },
      )
    }
    await pause(POLL_MS)
  }
}
