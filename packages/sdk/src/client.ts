/** The entry point: one client, one transport, one module per service. */
import {
  resolveClientConfig,
  type ResolvedClientConfig,
  type WorkspaceClientOptions,
} from './config.js'
import { NfsService } from './services/nfs.js'
import { ProcessService } from './services/process.js'
import { PtyService } from './services/pty.js'
import { SandboxService } from './services/sandbox.js'
import { ServerService } from './services/server.js'
import { WorkspaceService } from './services/workspace.js'
import { Transport } from './transport.js'

/**
 * Client of a Workspace Manager server.
 *
 * @example
 * ```ts
 * const client = new WorkspaceClient({ apiUrl: 'http://127.0.0.1:8080' })
 * const ws = await client.workspace.create({ name: 'demo' })
 * await client.workspace.writeFile(ws.id, 'hello.txt', 'Hello, World!')
 * const sandbox = await client.sandbox.create({ workspaceId: ws.id })
 * console.log(await client.process.exec(sandbox.id, 'cat', 'hello.txt'))
 * ```
 */
export class WorkspaceClient {
  /** Workspaces and their files. */
  readonly workspace: WorkspaceService
  /** Sandboxes bound to workspaces. */
  readonly sandbox: SandboxService
  /** Commands and processes inside sandboxes. */
  readonly process: ProcessService
  /** Interactive terminals inside sandboxes, over WebSockets. */
  readonly pty: PtyService
  /** Workspaces mounted over NFS on this machine. */
  readonly nfs: NfsService
  /** Health and readiness of the server, and which replica answered. */
  readonly server: ServerService
  readonly #config: ResolvedClientConfig
  readonly #transport: Transport

  /**
   * Resolves the configuration (explicit option, then environment, then
   * default) and prepares the connection pool. Throws a `WorkspaceError` with
   * `details.reason === 'config'` naming the option or variable at fault.
   */
  constructor(options: WorkspaceClientOptions = {}) {
    this.#config = resolveClientConfig(options)
    this.#transport = new Transport(this.#config)
    this.workspace = new WorkspaceService(this.#transport)
    this.sandbox = new SandboxService(this.#transport)
    this.process = new ProcessService(this.#transport)
    this.pty = new PtyService(this.#transport)
    this.nfs = new NfsService(this.workspace, this.#config)
    this.server = new ServerService(this.#transport)
  }

  /** The resolved configuration. */
  get config(): ResolvedClientConfig {
    return this.#config
  }

  /** Closes idle keep-alive connections. The client stays usable; new requests open new connections. */
  close(): void {
    this.#transport.close()
  }
}
