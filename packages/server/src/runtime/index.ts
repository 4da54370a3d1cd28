import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/index.js'
import { connectDocker } from './docker/connection.js'
import { DockerRuntime } from './docker/runtime.js'
import type { SandboxRuntime } from './types.js'

export type {
  SandboxRuntime,
  SandboxSpec,
  ContainerStatus,
  HostResources,
  RuntimeEvent,
} from './types.js'
export { RuntimeError, isRuntimeError, type RuntimeErrorKind } from './errors.js'

/**
 * An id for this data dir, kept in it, so several servers sharing one engine
 * (a dev server beside a test run) never reconcile away each other's containers.
 */
export function instanceId(dataDir: string): string {
  const file = path.join(dataDir, 'instance-id')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    const id = randomBytes(8).toString('hex')
    fs.mkdirSync(dataDir, { recursive: true })
    fs.writeFileSync(file, `${id}\n`, { flag: 'wx' })
    return id
  }
}

/** The runtime the configuration asks for. Only this factory chooses a backend. */
export function createRuntime(config: Config, log: FastifyBaseLogger): SandboxRuntime {
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
