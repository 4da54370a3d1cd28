import type { V1ContainerStatus, V1Node, V1Pod, V1Secret } from '@kubernetes/client-node'
import { RuntimeError } from '../errors.js'
import type { ContainerStatus, HostResources, SandboxSpec } from '../types.js'
import { INSTALL_CONTAINER, SANDBOX_CONTAINER } from './objects.js'

/**
 * Reading pods, nodes and quantities: pure functions of what the API
 * returned, unit-tested without a cluster.
 */

/** The sandbox container's status in `pod`, if the kubelet has reported one. */
export function sandboxStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((status) => status.name === SANDBOX_CONTAINER)
}

/** Whether the sandbox's main process (the agent) runs: a frozen sandbox's does too. */
export function podRunning(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && sandboxStatus(pod)?.state?.running !== undefined
}

/** How the sandbox container ended, once it has. */
export function podExit(pod: V1Pod): { exitCode: number; oomKilled: boolean } | undefined {
  const terminated = sandboxStatus(pod)?.state?.terminated
  if (!terminated) return undefined
  return { exitCode: terminated.exitCode, oomKilled: terminated.reason === 'OOMKilled' }
}

/** Waiting reasons that mean the image is not there (images are never pulled from a registry here). */
const IMAGE_MISSING = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff'])
/** Waiting reasons that are the spec's fault. */
const SPEC_REFUSED = new Set(['InvalidImageName', 'CreateContainerConfigError'])
const REFUSED = "the engine refused the sandbox's settings"

/**
 * Where a starting pod stands: `running`, still `pending`, or the failure
 * to report (image missing, unschedulable, refused, ended).
 */
export function startProgress(
  pod: V1Pod,
  images: { image: string; agentImage: string },
): 'running' | 'pending' | RuntimeError {
  if (podRunning(pod)) return 'running'
  const phase = pod.status?.phase
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled')
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return new RuntimeError(
      'invalid',
      `${REFUSED}: no node can run it: ${scheduled.message ?? ''}`.trim(),
      {
        image: images.image,
      },
    )
  }
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ]
  for (const status of statuses) {
    const waiting = status.state?.waiting
    const reason = waiting?.reason ?? ''
    const install = status.name === INSTALL_CONTAINER
    if (IMAGE_MISSING.has(reason)) {
      if (install) {
        return new RuntimeError(
          'unavailable',
          `the agent image ${images.agentImage} (WM_K8S_AGENT_IMAGE) is not in the cluster: ${waiting?.message ?? reason}`,
          { image: images.agentImage },
        )
      }
      return new RuntimeError('image_not_found', `image ${images.image} not found in the cluster`, {
        image: images.image,
      })
    }
    if (SPEC_REFUSED.has(reason)) {
      return new RuntimeError(
        'invalid',
        `${REFUSED}: ${reason}: ${waiting?.message ?? ''}`.trim(),
        {
          image: images.image,
        },
      )
    }
    if (reason === 'CreateContainerError' || reason === 'RunContainerError') {
      return new RuntimeError(
        'failed',
        `the container did not start: ${waiting?.message ?? reason}`,
        {
          image: images.image,
        },
      )
    }
    const terminated = status.state?.terminated
    if (terminated && (install ? terminated.exitCode !== 0 : true)) {
      const what = install ? 'installing the agent' : 'the sandbox container'
      return new RuntimeError(
        'failed',
        `${what} ended at start with code ${terminated.exitCode}${terminated.message ? `: ${terminated.message}` : ''}`,
        { image: images.image },
      )
    }
  }
  if (phase === 'Failed' || phase === 'Succeeded') {
    return new RuntimeError(
      'failed',
      `the pod ended at start: ${pod.status?.reason ?? phase} ${pod.status?.message ?? ''}`.trim(),
      {
        image: images.image,
      },
    )
  }
  return 'pending'
}

const CPU = /^(\d+(?:\.\d+)?)(m?)$/
const SUFFIXES: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
}

/** A CPU quantity ("2", "1900m") in cores. */
export function cpuCores(quantity: string | undefined): number {
  const match = CPU.exec(quantity ?? '')
  if (!match) return 0
  return Number(match[1]) / (match[2] ? 1000 : 1)
}

/** A memory quantity ("16Gi", "16384Ki", "1e9", "1G") in bytes. */
export function quantityBytes(quantity: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([kMGTPE]i?|Ki)?$/.exec(quantity ?? '')
  if (!match) return 0
  return Math.floor(Number(match[1]) * (SUFFIXES[match[2] ?? ''] ?? 1))
}

/** The largest node's allocatable CPUs (whole, at least 1) and memory: the most one sandbox can get. */
export function largestNode(nodes: V1Node[]): HostResources | undefined {
  let best: HostResources | undefined
  for (const node of nodes) {
    const allocatable = node.status?.allocatable ?? {}
    const cpus = cpuCores(allocatable.cpu)
    const memoryBytes = quantityBytes(allocatable.memory)
    if (!best || cpus > best.cpus || (cpus === best.cpus && memoryBytes > best.memoryBytes)) {
      best = { cpus, memoryBytes }
    }
  }
  return best && { cpus: Math.max(1, Math.floor(best.cpus)), memoryBytes: best.memoryBytes }
}

/**
 * An image reference as the container runtime names it in a node's
 * `status.images`: `workspace-test` is `docker.io/library/workspace-test:latest`.
 */
export function fullImageName(reference: string): string {
  const [withoutDigest = '', digest] = reference.split('@')
  const slash = withoutDigest.indexOf('/')
  const first = slash === -1 ? '' : withoutDigest.slice(0, slash)
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost'
  let name = hasRegistry
    ? withoutDigest
    : `docker.io/${slash === -1 ? 'library/' : ''}${withoutDigest}`
  const lastPart = name.slice(name.lastIndexOf('/') + 1)
  if (!digest && !lastPart.includes(':')) name += ':latest'
  return digest ? `${name}@${digest}` : name
}

/** Whether any node reports holding `reference` (status.images lists what the node has). */
export function nodesHaveImage(nodes: V1Node[], reference: string): boolean {
  const wanted = fullImageName(reference)
  return nodes.some((node) =>
    (node.status?.images ?? []).some((image) =>
      (image.names ?? []).some((name) => name === reference || fullImageName(name) === wanted),
    ),
  )
}

/** A sandbox as its Secret and pod show it: the Secret's uid is its stable container id. */
export function toStatus(
  sandboxId: string,
  secret: V1Secret,
  pod: V1Pod | undefined,
): ContainerStatus {
  const exit = pod && podExit(pod)
  const running = pod !== undefined && podRunning(pod) && !pod.metadata?.deletionTimestamp
  return {
    sandboxId,
    containerId: secret.metadata?.uid ?? sandboxId,
    running,
    exitCode: running ? null : (exit?.exitCode ?? null),
    oomKilled: exit?.oomKilled ?? false,
    error: exit ? null : (pod?.status?.message ?? null),
  }
}

/**
 * Refuses, as the engine would, limits beyond the largest node (a pod
 * would wait forever): the refusal, or undefined when they fit.
 */
export function limitsBeyondNodes(
  spec: Pick<SandboxSpec, 'nanoCpus' | 'memoryBytes' | 'image'>,
  host: HostResources,
): RuntimeError | undefined {
  const refused = "the engine refused the sandbox's settings"
  const cores = spec.nanoCpus / 1e9
  if (cores > host.cpus) {
    return new RuntimeError(
      'invalid',
      `${refused}: a CPU limit of ${cores} is more than the ${host.cpus} CPUs of the largest node`,
      { image: spec.image },
    )
  }
  if (spec.memoryBytes > host.memoryBytes) {
    return new RuntimeError(
      'invalid',
      `${refused}: a memory limit of ${spec.memoryBytes} bytes is more than the largest node's ${host.memoryBytes}`,
      { image: spec.image },
    )
  }
  return undefined
}
