import fs from 'node:fs/promises'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type Docker from 'dockerode'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Name of the checkpoint inside Docker while it is taken or restored; the
 * files live in the server's own checkpoint directory the rest of the time.
 */
export const ENGINE_CHECKPOINT_NAME = 'wm'

/** What the engine says about running sandboxes under runsc (gVisor). */
export interface RunscSupport {
  /** Process checkpoints work: runsc, experimental daemon, engine data reachable. */
  processCheckpoints: boolean
  /** runsc runs with --network=none: no sandbox can have a network. */
  networkless: boolean
  /** Docker's data root, where a container's checkpoints are kept. */
  rootDir: string | null
}

interface EngineInfo {
  DockerRootDir?: string
  ExperimentalBuild?: boolean
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] | null }>
}

/**
 * Detects what runsc can do on this engine. Process checkpoints need the
 * runsc runtime registered, the daemon's experimental mode (`docker
 * checkpoint` is experimental in Docker 20.10) and write access to the
 * engine's data root: Docker 20.10 refuses a custom checkpoint directory
 * on start, so a checkpoint is restored by placing its files where the new
 * container's own checkpoints are kept. Each missing piece is logged.
 */
export async function probeRunsc(
  docker: Docker,
  runtimeName: string,
  log: FastifyBaseLogger,
): Promise<RunscSupport> {
  const info = (await docker.info()) as EngineInfo
  const runsc = info.Runtimes?.[runtimeName]
  const args = runsc?.runtimeArgs ?? []
  const networkless = args.some((arg) => /^--?network=none$/.test(arg))
  const none: RunscSupport = { processCheckpoints: false, networkless, rootDir: null }
  if (!runsc) {
    log.error(
      `the engine has no "${runtimeName}" runtime: sandboxes cannot start (WM_RUNTIME=${runtimeName}); scripts/ensure-docker.sh registers it`,
    )
    return none
  }
  if (!args.some((arg) => /^--?host-uds=(create|all)$/.test(arg))) {
    log.error(
      `the engine's ${runtimeName} runtime lacks --host-uds=create: the agent's socket cannot reach the server and sandboxes will not start`,
    )
    return none
  }
  if (!info.ExperimentalBuild) {
    log.warn('the Docker daemon is not experimental: checkpoints are filesystem checkpoints')
    return none
  }
  const rootDir = info.DockerRootDir ?? null
  try {
    if (!rootDir) throw new Error('the engine does not say where its data root is')
    await fs.access(path.join(rootDir, 'containers'), fs.constants.W_OK)
  } catch (error) {
    log.warn(
      { err: error },
      "the engine's data root is not writable from here: checkpoints are filesystem checkpoints",
    )
    return none
  }
  return { processCheckpoints: true, networkless, rootDir }
}

/** Where Docker keeps the checkpoint `name` of container `containerId`. */
export function engineCheckpointDir(rootDir: string, containerId: string, name: string): string {
  return path.join(rootDir, 'containers', containerId, 'checkpoints', name)
}

/**
 * Checkpoints the processes of `container` and stops it (runsc saves the
 * whole sandbox), then moves the saved state to `destDir`.
 */
export async function checkpointContainer(
  container: Docker.Container,
  rootDir: string,
  destDir: string,
): Promise<void> {
  const { Id: containerId } = await container.inspect()
  // dockerode has the call; its type definitions do not.
  const checkpointing = container as unknown as {
    createCheckpoint(options: { CheckpointID: string; Exit: boolean }): Promise<unknown>
  }
  await checkpointing.createCheckpoint({ CheckpointID: ENGINE_CHECKPOINT_NAME, Exit: true })
  const saved = engineCheckpointDir(rootDir, containerId, ENGINE_CHECKPOINT_NAME)
  await fs.cp(saved, destDir, { recursive: true, errorOnExist: true, force: false })
  await fs.rm(saved, { recursive: true, force: true })
}

/** Puts the saved state in `sourceDir` where `containerId` restores from. */
export async function placeCheckpoint(
  rootDir: string,
  containerId: string,
  sourceDir: string,
): Promise<void> {
  const target = engineCheckpointDir(rootDir, containerId, ENGINE_CHECKPOINT_NAME)
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 })
  await fs.cp(sourceDir, target, { recursive: true, force: true })
  await fs.writeFile(path.join(target, PLACEMENT_NONCE_FILE), randomUUID())
}

/**
 * A file of random bytes added to every placed checkpoint. The engine uploads
 * the directory to containerd as a tar (mtimes in whole seconds) before the
 * start; containerd may still hold the identical tar it made when the
 * checkpoint was taken (deleted images' blobs wait for its garbage
 * collector), and then the start fails with "commit failed: content ...
 * already exists" whenever taking and placing fall in the same second.
 * runsc reads only its own files from the directory.
 */
const PLACEMENT_NONCE_FILE = 'wm-placement-nonce'

/**
 * `POST /containers/{id}/start?checkpoint=…`. The engine wants the name as a
 * query parameter and no body (refused since API 1.24); docker-modem sends
 * `_query` as the query and `_body` as the body, where plain options would
 * go into both.
 */
export async function startFromCheckpoint(
  container: Docker.Container,
  rootDir: string,
): Promise<void> {
  const options = { _query: { checkpoint: ENGINE_CHECKPOINT_NAME }, _body: {} }
  await container.start(options as Docker.ContainerStartOptions)
  // Used up: the server keeps its own copy, and the next checkpoint needs the name.
  await fs.rm(engineCheckpointDir(rootDir, container.id, ENGINE_CHECKPOINT_NAME), {
    recursive: true,
    force: true,
  })
}
