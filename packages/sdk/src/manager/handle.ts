/**
 * `WorkspaceHandle`: one workspace and its primary sandbox, as seed-000
 * callers used "a workspace backed by a container". Each method is one or two
 * SDK calls on the right id: commands go to the sandbox, files to the
 * workspace, token transfers through the server's `files/tokens` route.
 */
import { clientError } from '../errors.js'
import type { CommandResult } from '../process-types.js'
import type { UploadContent } from '../request-body.js'
import type { Sandbox } from '../sandbox-types.js'
import type { ProcessService } from '../services/process.js'
import type { WorkspaceService } from '../services/workspace.js'
import type { Transport } from '../transport.js'
import type { CallOptions, FileInfo, Workspace } from '../types.js'
import { mintProxyUrl } from '../services/sandbox.js'
import { workingDirectory, workspacePath } from './paths.js'
import * as routes from './routes.js'
import type {
  Checkpoint,
  DeleteWorkspaceOptions,
  ExecOptions,
  FileToken,
  FileTokenOperation,
  PortHint,
} from './types.js'

/** Environment values a handle never shows. */
const SECRET_ENV = ['SPLUNK_PASSWORD']

/** What a handle needs of its client; built by {@link WorkspaceManagerClient}. */
export interface HandleContext {
  transport: Transport
  workspace: WorkspaceService
  process: ProcessService
  deleteWorkspace(id: string, options?: DeleteWorkspaceOptions): Promise<void>
  getWorkspace(id: string, options?: CallOptions): Promise<WorkspaceHandle>
}

function redacted(sandbox: Sandbox | null): Sandbox | null {
  if (!sandbox?.env || !SECRET_ENV.some((key) => key in sandbox.env!)) return sandbox
  const env = Object.fromEntries(
    Object.entries(sandbox.env).map(([key, value]) => [
      key,
      SECRET_ENV.includes(key) ? '<redacted>' : value,
    ]),
  )
  return { ...sandbox, env }
}

function command(cmd: string | readonly string[]): [string, string[]] {
  if (typeof cmd === 'string') {
    if (cmd.trim() === '') throw new TypeError('exec needs a non-empty command')
    return ['/bin/sh', ['-c', cmd]]
  }
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((part) => typeof part !== 'string')) {
    throw new TypeError('cmd must be a string or a non-empty array of strings')
  }
  const [program, ...args] = cmd as string[]
  if (!program) throw new TypeError('the program to run must be a non-empty string')
  return [program, args]
}

/**
 * A workspace and its primary sandbox. `id` is the workspace id, `sandboxId`
 * the primary sandbox's (`null` when it has none), `workdir` where the
 * sandbox sees the workspace (`CONTAINER_WORKSPACE_DIR`). File paths are
 * relative to the workspace; absolute paths under `workdir` are accepted.
 */
export class WorkspaceHandle {
  /** The workspace as last seen. */
  workspace: Workspace
  #sandbox: Sandbox | null = null
  readonly #context: HandleContext

  /** Made by {@link WorkspaceManagerClient}; not meant to be constructed directly. */
  constructor(context: HandleContext, workspace: Workspace, sandbox: Sandbox | null) {
    this.#context = context
    this.workspace = workspace
    this.sandbox = sandbox
  }

  /** The primary sandbox as last seen (secret environment values redacted). */
  get sandbox(): Sandbox | null {
    return this.#sandbox
  }

  set sandbox(sandbox: Sandbox | null) {
    this.#sandbox = redacted(sandbox)
  }

  get id(): string {
    return this.workspace.id
  }

  get sandboxId(): string | null {
    return this.#sandbox?.id ?? null
  }

  get applicationKind(): string | null {
    return this.#sandbox?.applicationKind ?? null
  }

  get workdir(): string {
    return this.#context.transport.config.containerWorkspaceDir
  }

  /** The primary sandbox's id, or an error saying the workspace has none. */
  requireSandbox(action: string): string {
    if (this.#sandbox) return this.#sandbox.id
    throw clientError(
      'config',
      `workspace ${this.id} has no sandbox, so it cannot ${action}; create one with createWorkspace`,
      { details: { workspaceId: this.id } },
    )
  }

  #path(path: string): string {
    return workspacePath(path, this.workdir)
  }

  /**
   * Runs `cmd` and waits; a non-zero exit is a result, not an error. A string
   * runs with `/bin/sh -c`; an array is the program and its arguments. `cwd`
   * defaults to `workdir`; `timeoutMs` to `execTimeoutMs` (`WM_EXEC_TIMEOUT`).
   */
  async exec(cmd: string | readonly string[], options: ExecOptions = {}): Promise<CommandResult> {
    const sandboxId = this.requireSandbox('run commands')
    const [program, args] = command(cmd)
    return this.#context.process.run(sandboxId, program, {
      args,
      env: options.env,
      cwd: workingDirectory(options.cwd, this.workdir),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    })
  }

  /** A file's content as UTF-8 text (`WM_FILE_TIMEOUT`, `WM_MAX_FILE_TRANSFER_BYTES`). */
  async readFile(path: string, options: CallOptions = {}): Promise<string> {
    return this.#context.workspace.readFile(this.id, this.#path(path), options)
  }

  /** A file's content as bytes. */
  async readFileBytes(path: string, options: CallOptions = {}): Promise<Uint8Array> {
    return this.#context.workspace.readFileBytes(this.id, this.#path(path), options)
  }

  /** Creates or replaces a file (text as UTF-8, bytes or a stream); missing parents are made. */
  async writeFile(
    path: string,
    content: UploadContent,
    options: CallOptions = {},
  ): Promise<FileInfo> {
    return this.#context.workspace.writeFile(this.id, this.#path(path), content, options)
  }

  /**
   * Mints a short-lived token that uploads or downloads `path` without the API
   * key; `url` is re-based on `publicBaseUrl` (`WORKSPACE_PUBLIC_BASE_URL`)
   * when set, so it is the address to hand to a third party.
   */
  async fileToken(
    path: string,
    operation: FileTokenOperation,
    options: CallOptions = {},
  ): Promise<FileToken> {
    const { transport } = this.#context
    const token = await routes.mintFileToken(
      transport,
      this.id,
      this.#path(path),
      operation,
      options,
    )
    const base = transport.config.publicBaseUrl
    return base ? { ...token, url: routes.rebasedUrl(token, base) } : token
  }

  /** A URL anyone may `PUT` the content of `path` to until the token expires. */
  async uploadUrl(path: string, options: CallOptions = {}): Promise<string> {
    return (await this.fileToken(path, 'upload', options)).url
  }

  /** A URL anyone may `GET` `path` from until the token expires. */
  async downloadUrl(path: string, options: CallOptions = {}): Promise<string> {
    return (await this.fileToken(path, 'download', options)).url
  }

  /** Streams a local file to `remotePath` through an upload token (refused up front when over the cap). */
  async upload(
    localPath: string,
    remotePath: string,
    options: CallOptions = {},
  ): Promise<FileInfo> {
    const path = this.#path(remotePath)
    return routes.uploadWithToken(this.#context.transport, this.id, path, localPath, options)
  }

  /** Streams `remotePath` to `localPath` through a download token; resolves to its size. */
  async download(
    remotePath: string,
    localPath: string,
    options: CallOptions = {},
  ): Promise<number> {
    const path = this.#path(remotePath)
    return routes.downloadWithToken(this.#context.transport, this.id, path, localPath, options)
  }

  /** Host, port and authenticated proxy URL of `port` inside the sandbox. */
  async portHint(port: number, options: CallOptions = {}): Promise<PortHint> {
    const sandboxId = this.requireSandbox('forward ports')
    return routes.portHint(this.#context.transport, sandboxId, port, options)
  }

  /** The authenticated proxy URL of `port` inside the sandbox. */
  async portUrl(port: number, options: CallOptions = {}): Promise<string> {
    return (await this.portHint(port, options)).url
  }

  /**
   * A URL that opens `port` in a browser without the API key header: it
   * carries a short-lived proxy token (about 5 minutes), which the server
   * swaps for a cookie scoped to this port on the first visit.
   */
  async proxyUrl(port: number, options: CallOptions = {}): Promise<string> {
    const sandboxId = this.requireSandbox('forward ports')
    return mintProxyUrl(this.#context.transport, sandboxId, port, options)
  }

  /** Checkpoints the sandbox; `kind` says whether processes were kept. */
  async checkpoint(name?: string, options: CallOptions = {}): Promise<Checkpoint> {
    const sandboxId = this.requireSandbox('be checkpointed')
    return routes.createCheckpoint(this.#context.transport, sandboxId, name, options)
  }

  /** The sandbox's checkpoints, oldest first. */
  async checkpoints(options: CallOptions = {}): Promise<Checkpoint[]> {
    const sandboxId = this.requireSandbox('list checkpoints')
    return routes.listCheckpoints(this.#context.transport, sandboxId, options)
  }

  /** Puts the sandbox (and workspace) back as the checkpoint has them; resolves to the sandbox. */
  async restore(checkpointId: string, options: CallOptions = {}): Promise<Sandbox> {
    const sandboxId = this.requireSandbox('be restored')
    const transport = this.#context.transport
    this.sandbox = await routes.restoreCheckpoint(transport, sandboxId, checkpointId, options)
    return this.sandbox!
  }

  /** Deletes one checkpoint of the sandbox. */
  async deleteCheckpoint(checkpointId: string, options: CallOptions = {}): Promise<void> {
    const sandboxId = this.requireSandbox('delete checkpoints')
    await routes.deleteCheckpoint(this.#context.transport, sandboxId, checkpointId, options)
  }

  /** Fetches the workspace and its primary sandbox again. */
  async refresh(options: CallOptions = {}): Promise<this> {
    const fresh = await this.#context.getWorkspace(this.id, options)
    this.workspace = fresh.workspace
    this.sandbox = fresh.sandbox
    return this
  }

  /** Deletes the workspace's sandboxes, then the workspace and its files. */
  async delete(options: DeleteWorkspaceOptions = {}): Promise<void> {
    await this.#context.deleteWorkspace(this.id, options)
  }

  /** `await using ws = await client.createWorkspace()` deletes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete()
  }

  /** What `JSON.stringify` and logs show: ids and the working directory. */
  toJSON(): { id: string; sandboxId: string | null; workdir: string } {
    return { id: this.id, sandboxId: this.sandboxId, workdir: this.workdir }
  }
}
