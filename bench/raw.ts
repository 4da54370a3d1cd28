import path from 'node:path'
import Docker from 'dockerode'
import type { Config } from '../packages/server/src/config/index.js'
import { containerConfig } from '../packages/server/src/runtime/docker/container-config.js'

/** The Docker client the raw sides of the benchmarks use. */
export const docker = new Docker()

/** Runs `cmd` in `container` through the engine's exec; throws unless it exits 0. */
export async function dockerExec(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true })
  const stream = await exec.start({ hijack: true, stdin: false })
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('error', reject)
    stream.resume()
  })
  const info = await exec.inspect()
  if (info.ExitCode !== 0) throw new Error(`docker exec ${cmd.join(' ')} failed`)
}

/**
 * Creates (does not start) a container named `name` with the very
 * configuration our sandboxes get (limits, caps, mounts, network off), with
 * `sleep` in place of the agent: the raw engine's side of a comparison.
 */
export function createRawContainer(
  config: Config,
  name: string,
  workspaceId: string,
  runHostDir: string,
  image: string,
): Promise<Docker.Container> {
  const spec = containerConfig(
    {
      sandboxId: name,
      workspaceId,
      containerName: name,
      image,
      env: {},
      nanoCpus: config.sandboxDefaults.nanoCpus,
      memoryBytes: config.sandboxDefaults.memoryBytes,
      pidsLimit: config.sandboxDefaults.pidsLimit,
      networkMode: config.sandboxDefaults.networkMode,
      workspaceHostDir: path.join(config.dataDir, 'workspaces', workspaceId),
      containerWorkspaceDir: config.sandboxDefaults.containerWorkspaceDir,
      agentBinaryHostPath: config.agent.binaryPath,
      runHostDir,
      agentToken: 'unused',
    },
    { instanceLabel: ['wm.bench', '1'], ociRuntime: undefined },
  )
  return docker.createContainer({ ...spec, Entrypoint: ['sleep'], Cmd: ['infinity'] })
}
