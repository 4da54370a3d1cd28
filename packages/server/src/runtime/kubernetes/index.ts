import { execFileSync } from 'node:child_process'
import { KubeConfig } from '@kubernetes/client-node'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config/index.js'
import { KubernetesRuntime } from './runtime.js'

export { KubernetesRuntime, type KubernetesRuntimeOptions } from './runtime.js'

/**
 * The agent image's default name, `wm-agent:<version>`, the version being
 * what the agent binary the server ships says (`wm-agent --version`), so
 * that pods get the agent the server was built with.
 */
export function defaultAgentImage(agentBinary: string): string {
  try {
    const version = execFileSync(agentBinary, ['--version'], { encoding: 'utf8', timeout: 10_000 })
    const tag = version
      .trim()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 128)
    return `wm-agent:${tag || 'latest'}`
  } catch {
    return 'wm-agent:latest'
  }
}

/** The client configuration: WM_KUBECONFIG's file, else the pod's service account. */
export function loadKubeConfig(file: string | null): KubeConfig {
  const kc = new KubeConfig()
  if (file) kc.loadFromFile(file)
  else kc.loadFromCluster()
  return kc
}

/** The Kubernetes runtime the configuration asks for (WM_RUNTIME=kubernetes). */
export function kubernetesRuntime(
  config: Config,
  instanceId: string,
  log: FastifyBaseLogger,
): KubernetesRuntime {
  const k8s = config.kubernetes
  return new KubernetesRuntime({
    kubeConfig: loadKubeConfig(k8s.kubeconfig),
    config: k8s,
    instanceId,
    containerPrefix: config.sandboxDefaults.containerPrefix,
    agentImage: k8s.agentImage ?? defaultAgentImage(config.agent.binaryPath),
    nfs: { host: config.nfs.publicHost, port: config.nfs.port },
    startTimeoutSeconds: config.agent.startTimeoutSeconds,
    log,
  })
}
