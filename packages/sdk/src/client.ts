/** The entry point: one client, one transport, one module per service. */
import {
  resolveClientConfig,
  type ResolvedClientConfig,
  type WorkspaceClientOptions,
} from './config.js'
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
 * console.log(await client.workspace.readFile(ws.id, 'hello.txt'))
 * ```
 */
export class WorkspaceClient {
  /** Workspaces and their files. */
  readonly workspace: WorkspaceService
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
