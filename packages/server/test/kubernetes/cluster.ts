import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { CoreV1Api, KubeConfig, NetworkingV1Api, type V1Pod } from '@kubernetes/client-node'
import pino from 'pino'
import { loadConfig } from '../../src/config/index.js'
import { readKubernetes } from '../../src/config/kubernetes.js'
import { defaultAgentImage } from '../../src/runtime/kubernetes/index.js'
import { execInPod } from '../../src/runtime/kubernetes/exec.js'
import { objectName, secretName } from '../../src/runtime/kubernetes/objects.js'
import { KubernetesRuntime } from '../../src/runtime/kubernetes/runtime.js'

/**
 * The test cluster (WM_TEST_KUBECONFIG, e.g. scripts/k8s/up.sh's
 * admin.kubeconfig) as the Kubernetes tests use it: a fresh namespace per
 * run, runtimes in it, and the outside view (an operator's API calls, the
 * node's containerd) to check them by. Tests run in the node's network
 * namespace (scripts/k8s/in-node.sh), where pod IPs are reachable.
 */

const execFileAsync = promisify(execFile)

/** The kubeconfig of the test cluster, or undefined when there is none. */
export const KUBECONFIG = process.env.WM_TEST_KUBECONFIG || undefined
/** Why the Kubernetes tests skip without it. */
export const NO_CLUSTER = 'WM_TEST_KUBECONFIG not set'
/** The node's containerd, where a container can be killed behind the kubelet's back. */
const CTR_SOCKET = `${process.env.WM_K8S_DIR ?? '/var/lib/wm-k8s'}/containerd/containerd.sock`

/** The agent image the cluster holds (scripts/build-agent-image.sh, loaded by up.sh). */
export function testAgentImage(): string {
  return (
    process.env.WM_K8S_AGENT_IMAGE ??
    defaultAgentImage(loadConfig({ WM_DATA_DIR: os.tmpdir() }).agent.binaryPath)
  )
}

/** API clients of the test cluster. */
export function clients(file: string) {
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromFile(file)
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    networking: kubeConfig.makeApiClient(NetworkingV1Api),
  }
}

/** Creates a namespace `wm-test-<random>`; the returned function deletes it. */
export async function freshNamespace(
  file: string,
): Promise<{ namespace: string; drop: () => Promise<void> }> {
  const { core } = clients(file)
  const namespace = `wm-test-${randomBytes(4).toString('hex')}`
  await core.createNamespace({ body: { metadata: { name: namespace } } })
  return {
    namespace,
    drop: async () => {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined)
    },
  }
}

/** The environment of a runtime or server on the test cluster, in `namespace`. */
export function clusterEnv(file: string, namespace: string): Record<string, string> {
  return {
    WM_KUBECONFIG: file,
    WM_K8S_NAMESPACE: namespace,
    // Nothing is pulled: the cluster holds the images (up.sh loads them).
    WM_K8S_IMAGE_PULL_POLICY: 'Never',
    WM_K8S_AGENT_IMAGE: testAgentImage(),
  }
}

/** A Kubernetes runtime of `instanceId` on the test cluster. */
export function makeRuntime(
  file: string,
  namespace: string,
  instanceId: string,
  containerPrefix: string,
  server = 'https://127.0.0.1:6443',
  env: Record<string, string> = {},
): KubernetesRuntime {
  const { kubeConfig } = clients(file)
  const cluster = kubeConfig.getCurrentCluster()
  if (cluster && server !== cluster.server) {
    // A cluster that is not there: the same credentials, an address nobody listens on.
    kubeConfig.clusters = [{ ...cluster, server }]
  }
  return new KubernetesRuntime({
    kubeConfig,
    config: readKubernetes({ ...clusterEnv(file, namespace), ...env }),
    instanceId,
    containerPrefix,
    agentImage: testAgentImage(),
    nfs: { host: '127.0.0.1', port: 12049 },
    startTimeoutSeconds: 60,
    log: pino({ level: 'silent' }),
  })
}

/** Polls `check` until it holds (a condition, not a timer), for at most `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(100)
  }
}

/** The outside view of one namespace's sandbox pods. */
export function outside(file: string, namespace: string, containerPrefix: string) {
  const { core, kubeConfig } = clients(file)
  const podName = (sandboxId: string) => objectName(`${containerPrefix}${sandboxId}`)
  const readPod = (sandboxId: string): Promise<V1Pod | undefined> =>
    core.readNamespacedPod({ name: podName(sandboxId), namespace }).catch(() => undefined)
  return {
    core,
    podName,
    readPod,
    /** SIGKILL to the sandbox container through the node's containerd (a crash), until the kubelet sees it. */
    async kill(sandboxId: string): Promise<void> {
      const pod = await readPod(sandboxId)
      const status = pod?.status?.containerStatuses?.find((c) => c.name === 'sandbox')
      const id = status?.containerID?.replace(/^containerd:\/\//, '')
      if (!id) throw new Error(`sandbox ${sandboxId} has no container to kill`)
      await execFileAsync('ctr', [
        '-a',
        CTR_SOCKET,
        '-n',
        'k8s.io',
        'task',
        'kill',
        '-s',
        'SIGKILL',
        id,
      ])
      await waitUntil(
        async () => {
          const now = await readPod(sandboxId)
          return !now || now.status?.containerStatuses?.some((c) => c.state?.terminated) === true
        },
        60_000,
        'the kubelet saw the container end',
      )
    },
    /** Deletes the pod at once, as an operator would (`kubectl delete pod --grace-period=0`). */
    async deletePod(sandboxId: string): Promise<void> {
      await core.deleteNamespacedPod({ name: podName(sandboxId), namespace, gracePeriodSeconds: 0 })
    },
    async deleteSecret(sandboxId: string): Promise<void> {
      await core.deleteNamespacedSecret({ name: secretName(sandboxId), namespace })
    },
    /** Starts a process that pause must stop (a sandbox whose only process is its agent has nothing to freeze). */
    async startSleeper(sandboxId: string): Promise<void> {
      await execInPod(kubeConfig, namespace, podName(sandboxId), [
        'sh',
        '-c',
        'sleep 100000 </dev/null >/dev/null 2>&1 &',
      ])
    },
    /** Whether some process of the sandbox other than its agent (PID 1) is stopped (state T). */
    async isPaused(sandboxId: string): Promise<boolean> {
      const pod = await readPod(sandboxId)
      if (!pod || pod.status?.phase !== 'Running') return false
      const result = await execInPod(kubeConfig, namespace, podName(sandboxId), [
        'sh',
        '-c',
        'for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; echo; done',
      ])
      return result.stdout
        .split('\n')
        .map((line) => /^(\d+) \(.*\) (\S)/.exec(line))
        .some((match) => match !== null && match[1] !== '1' && match[2] === 'T')
    },
  }
}
