import { dataDirInstanceId } from '../cluster/instance-check.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/index.js'
import { connectDocker } from './docker/connection.js'
import { DockerRuntime } from './docker/runtime.js'
import { kubernetesRuntime } from './kubernetes/index.js'
import type { SandboxRuntime } from './types.js'

export type {
  SandboxRuntime,
  SandboxSpec,
  ContainerStatus,
  HostResources,
  RuntimeEvent,
  AgentEndpoint,
} from './types.js'
export { RuntimeError, isRuntimeError, type RuntimeErrorKind } from './errors.js'

/** The instance id of a data dir (the one labelling every container of its servers). */
export const instanceId = (dataDir: string): string => dataDirInstanceId(dataDir)

/** The runtime the configuration asks for. Only this factory chooses a backend. */
export function createRuntime(config: Config, log: FastifyBaseLogger): SandboxRuntime {
  if (config.sandboxDefaults.runtime === 'kubernetes') {
    return kubernetesRuntime(config, instanceId(config.dataDir), log)
  }
  return new DockerRuntime({
    docker: connectDocker({
      host: config.docker.host,
      timeoutSeconds: config.docker.clientTimeoutSeconds,
    }),
    instanceId: instanceId(config.dataDir),
    containerPrefix: config.sandboxDefaults.containerPrefix,
    platform: config.docker.platform,
    ociRuntime: config.sandboxDefaults.runtime === 'runsc' ? 'runsc' : null,
    log,
  })
}
