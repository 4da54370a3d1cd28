/**
 * The narrow interface between the sandbox service and whatever runs
 * containers. Docker is the one implementation today. Every implementation
 * must pass the shared suite `runRuntimeContract` in
 * `test/runtime-contract.ts`, through a test file of its own that calls it
 * (`test/runtime-docker.test.ts`, `test/runtime-fake.test.ts`).
 *
 * Errors: a runtime throws only `RuntimeError` (`./errors.ts`), whose kind
 * says what went wrong in runtime terms (`unavailable`, `not_found`,
 * `image_not_found`, `conflict`, `invalid`, `failed`); each implementation
 * translates its engine's failures where it calls the engine, and never
 * throws HTTP errors: the HTTP layer gives kinds their API codes.
 * Optional features are capability flags, never methods that refuse at run
 * time.
 */

/** Everything a runtime needs to start one sandbox. */
export interface SandboxSpec {
  sandboxId: string
  workspaceId: string
  /** Container name: WORKSPACE_CONTAINER_PREFIX + sandbox id. */
  containerName: string
  image: string
  env: Record<string, string>
  nanoCpus: number
  memoryBytes: number
  /**
   * Bytes the sandbox may write to its root filesystem (the image's own bytes not counted);
   * null or absent: unlimited. Only when `capabilities.diskLimit`.
   */
  diskBytes?: number | null
  pidsLimit: number
  networkMode: string
  /**
   * The sandbox sits behind the egress gateway (mode allowlist or open, or
   * made so): Docker puts it on the gateway's network with the gateway as
   * resolver and proxy; Kubernetes applies `egressPolicy`.
   */
  egress?: boolean
  /** The allow list of mode allowlist, for runtimes that enforce it themselves (Kubernetes). */
  egressAllow?: readonly string[]
  /** Host directory of the workspace, mounted read-write at `containerWorkspaceDir`. */
  workspaceHostDir: string
  containerWorkspaceDir: string
  /**
   * `rslave`: mounts made later under `workspaceHostDir` on the host (a
   * shared mount) appear inside the running container, and none made inside
   * go back out. The warm pool attaches a workspace to a pooled sandbox so.
   */
  workspacePropagation?: 'rslave'
  /** Host path of the static agent binary, mounted read-only and run as PID 1. */
  agentBinaryHostPath: string
  /** Per-sandbox host directory mounted at /run/wm, where the agent puts its socket. */
  runHostDir: string
  /** Secret the agent proves it holds; passed in its environment only. */
  agentToken: string
  /** Extra labels (the runtime adds wm.managed, wm.sandbox, wm.workspace). */
  labels?: Record<string, string>
  /** Named volume mounted read-only at /opt/tools, created when missing; none when absent. */
  toolsVolume?: string | null
  /** Have the agent also run the image's own command (entrypoint and cmd), tagged `main`. */
  runImageCommand?: boolean
  /**
   * A directory holding processes saved by `checkpointProcesses`: the
   * container resumes them instead of starting the agent afresh. Only when
   * `capabilities.processCheckpoints`.
   */
  restoreFrom?: string | null
}

/** What a runtime can tell about one sandbox's container. */
export interface ContainerStatus {
  sandboxId: string
  containerId: string
  /** Its main process runs (a paused container's too). */
  running: boolean
  exitCode: number | null
  oomKilled: boolean
  /** The engine's own error text, e.g. why a start failed. */
  error: string | null
}

/** An event about a managed container that the sandbox service reacts to. */
export interface RuntimeEvent {
  type: 'exited' | 'oom'
  sandboxId: string
  exitCode: number | null
}

/** The engine host's size: the most one sandbox can be given. */
export interface HostResources {
  /** Logical CPUs. */
  cpus: number
  /** Total memory, in bytes. */
  memoryBytes: number
}

/**
 * Where the server reaches a sandbox's agent: a unix socket on this host
 * (Docker: in the sandbox's run directory), or a TCP address (Kubernetes: the
 * pod's IP). Either way the agent proves itself with the hello handshake.
 */
export type AgentEndpoint = { socketPath: string } | { host: string; port: number }

/** Optional abilities, detected at start-up by `probe`. */
export interface RuntimeCapabilities {
  /** Process checkpoints (`docker checkpoint` under runsc): `checkpointProcesses` and `restoreFrom` work. */
  processCheckpoints: boolean
  /** No sandbox can have a network (runsc --network=none): other network modes are refused. */
  networkless: boolean
  /**
   * Filesystem checkpoints: `commit` saves a container's filesystem as an
   * image (`listImages`, `removeImage` manage them). Off where the engine
   * cannot (Kubernetes): the checkpoint service refuses up front.
   */
  filesystemCheckpoints: boolean
  /**
   * A sandbox's root filesystem size (`SandboxSpec.diskBytes`) is enforced: writes past it fail
   * (Docker: the storage driver's size option) or the sandbox is evicted (Kubernetes).
   */
  diskLimit: boolean
  /**
   * Why it cannot be, naming the engine's storage driver, once `probe` has found so; absent
   * while not known (the engine did not answer) or when it can.
   */
  diskLimitRefusal?: string
}

/** Starts, inspects and removes sandbox containers. */
export interface SandboxRuntime {
  readonly name: string
  readonly capabilities: RuntimeCapabilities
  /** Resolves when the engine answers; throws a RuntimeError `unavailable` otherwise. */
  ping(): Promise<void>
  /** Detects `capabilities` once the engine answers; never throws (what it cannot tell stays off). */
  probe(): Promise<void>
  /**
   * Saves every process of the sandbox (memory, kernel state) into
   * `destDir` and stops its container, which cannot run again: resume them
   * in a new container with `restoreFrom`. Only when
   * `capabilities.processCheckpoints`.
   */
  checkpointProcesses(sandboxId: string, destDir: string): Promise<void>
  /**
   * The host's CPUs and memory, asked of the engine once and then kept;
   * throws a RuntimeError `unavailable` while the engine does not answer.
   */
  hostResources(): Promise<HostResources>
  /** Whether `image` exists locally (images are never pulled). */
  imageExists(image: string): Promise<boolean>
  /**
   * Creates and starts the container; throws on failure, leaving nothing
   * behind: `image_not_found` when `spec.image` does not exist, `invalid`
   * when the engine refuses the spec (in its words), `conflict` when the
   * sandbox has a container already.
   */
  start(spec: SandboxSpec): Promise<{ containerId: string }>
  /** The container of `sandboxId`, or `undefined` when there is none. */
  inspect(sandboxId: string): Promise<ContainerStatus | undefined>
  /**
   * Where the agent of the running sandbox listens (`runHostDir` is the
   * spec's). A runtime whose answer needs no engine call (a socket in the run
   * directory) may answer without checking the container; one that asks the
   * engine throws `not_found` when the sandbox has no running container.
   */
  agentEndpoint(sandboxId: string, runHostDir: string): Promise<AgentEndpoint>
  /**
   * Releases what the runtime holds open on its own (the Kubernetes
   * runtime's port-forward listeners); the app calls it when it closes.
   */
  close?(): Promise<void>
  /**
   * Stops the container (SIGTERM, then SIGKILL after `graceSeconds`; a paused
   * one is thawed first) and keeps it, root filesystem included, for
   * `startExisting`; idempotent. `not_found` without a container.
   */
  stop(sandboxId: string, graceSeconds: number): Promise<void>
  /**
   * Starts the stopped container of `sandboxId` again, as it was left: same
   * filesystem, mounts and environment, its main process (the agent) anew;
   * no process of before survives. A running one is left as it is.
   * `not_found` without a container.
   */
  startExisting(sandboxId: string): Promise<void>
  /** Stops (SIGTERM, then SIGKILL after `graceSeconds`) and removes; idempotent. */
  remove(sandboxId: string, graceSeconds: number): Promise<void>
  /** Every container this service manages, running or not. */
  listManaged(): Promise<ContainerStatus[]>
  /**
   * Calls `listener` for each event until the returned function is called:
   * `exited` whenever a container's main process ends, whoever ended it
   * (`remove` included). No event after the call is lost; one may come twice.
   */
  watch(listener: (event: RuntimeEvent) => void): () => void
  /** Freezes every process of the sandbox until `unpause`; `not_found` without a container. */
  pause(sandboxId: string): Promise<void>
  /** Thaws a paused sandbox; a sandbox that is not paused is left as it is. */
  unpause(sandboxId: string): Promise<void>
  /**
   * Saves the container's filesystem as the image `image` (bind mounts and
   * volumes are not part of it) with `labels`, without pausing it. Values the
   * server put in the container's environment are blanked in the image.
   * `not_found` without a container.
   */
  commit(sandboxId: string, image: string, labels: Record<string, string>): Promise<void>
  /** Removes an image made by `commit`; idempotent. One a container still runs from loses its name now and its layers when that container goes. */
  removeImage(image: string): Promise<void>
  /**
   * Images made by `commit` of this server that carry the label `key`, with
   * its value and when the image was made (ms since the epoch, to the second).
   */
  listImages(key: string): Promise<Array<{ id: string; value: string; createdAt: number }>>
}

/** Labels every managed container carries. */
export const LABELS = {
  managed: 'wm.managed',
  sandbox: 'wm.sandbox',
  workspace: 'wm.workspace',
} as const
