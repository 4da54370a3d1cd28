/**
 * NFS for workspaces: every workspace is exported by an NFS-Ganesha the
 * server runs (see manager.ts), at `/workspaces/<id>`, with an export id
 * kept in the store. `createNfs` decides from the configuration and what is
 * installed whether NFS is on.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/index.js'
import type { MetadataStore } from '../store/index.js'
import type { WorkspaceExports } from '../services/workspaces.js'
import { NfsManager } from './manager.js'
import { findNfsTools, type NfsTools } from './tools.js'

export { NfsManager } from './manager.js'
export { findNfsTools, type NfsTools } from './tools.js'
export { pseudoPath } from './ganesha-config.js'

/** The workspaces' side of the NFS server: export ids from the store, exports kept current. */
export class WorkspaceNfs implements WorkspaceExports {
  #manager: NfsManager
  readonly #tools: NfsTools
  readonly #store: MetadataStore
  readonly #config: Config
  readonly #log: FastifyBaseLogger
  #workspacesDir = ''
  /** True between start and stop: with several servers, only the leader serves NFS. */
  #serving = false

  constructor(options: {
    config: Config
    tools: NfsTools
    store: MetadataStore
    log: FastifyBaseLogger
  }) {
    this.#store = options.store
    this.#config = options.config
    this.#log = options.log
    this.#tools = options.tools
    this.#manager = this.#newManager()
  }

  /** The ganesha this server runs (a new one each time this server starts serving again). */
  get manager(): NfsManager {
    return this.#manager
  }

  #newManager(): NfsManager {
    return new NfsManager({
      config: this.#config.nfs,
      dataDir: this.#config.dataDir,
      tools: this.#tools,
      log: this.#log,
    })
  }

  url(workspaceId: string): string {
    return this.manager.url(workspaceId)
  }

  /**
   * Starts ganesha with one export per workspace in the store (assigning
   * export ids to workspaces made while NFS was off). Run after the
   * workspace sweep, so every row has its directory.
   */
  async start(workspacesDir: string): Promise<void> {
    // A manager once stopped is stopped for good: serving again (this replica led before) needs a new one.
    if (this.#manager.stopped) this.#manager = this.#newManager()
    this.#serving = true
    this.#workspacesDir = await fs.realpath(workspacesDir)
    const specs = []
    for (const workspace of await this.#store.listWorkspaces()) {
      specs.push({
        workspaceId: workspace.id,
        exportId: await this.#store.nfsExportId(workspace.id),
        dir: path.join(this.#workspacesDir, workspace.id),
      })
    }
    await this.manager.start(specs)
    await this.#warnAboutHandles()
  }

  /**
   * Ganesha's VFS backend does no subtree check: a client that forges a file
   * handle reaches any file on the filesystem of an export. Clients on
   * loopback already are the host; for others, say so unless the data dir
   * is a filesystem of its own.
   */
  async #warnAboutHandles(): Promise<void> {
    const remote = this.#config.nfs.clients.filter(
      (client) => !/^127\./.test(client) && !['::1', '::1/128'].includes(client),
    )
    if (!remote.length) return
    const dataDir = await fs.realpath(this.#config.dataDir)
    const [own, parent] = await Promise.all([fs.stat(dataDir), fs.stat(path.dirname(dataDir))])
    if (own.dev !== parent.dev) return
    this.#log.warn(
      { clients: remote, dataDir },
      'NFS clients beyond loopback are allowed and WM_DATA_DIR is not a filesystem of its own: ' +
        'a client able to forge NFS file handles (root on an allowed client) could reach any file ' +
        'on the filesystem holding it; give WM_DATA_DIR its own filesystem (see README, Mount a workspace)',
    )
  }

  async added(workspaceId: string): Promise<void> {
    // A replica that does not serve NFS leaves the export to the leader's sync.
    if (!this.#serving) return
    const exportId = await this.#store.nfsExportId(workspaceId)
    await this.manager.add({
      workspaceId,
      exportId,
      dir: path.join(this.#workspacesDir, workspaceId),
    })
  }

  async removed(workspaceId: string): Promise<void> {
    if (!this.#serving) return
    await this.manager.remove(workspaceId)
  }

  /**
   * Makes the exports equal to the workspaces in the store. With several
   * servers only the leader runs ganesha, so workspaces made or deleted
   * through another replica reach it here, on the leader's periodic check.
   */
  async sync(): Promise<void> {
    if (!this.#manager.running) return
    const workspaces = await this.#store.listWorkspaces()
    const wanted = new Set(workspaces.map((workspace) => workspace.id))
    const exported = this.#manager.exportedWorkspaces()
    for (const id of wanted) if (!exported.has(id)) await this.added(id)
    for (const id of exported) if (!wanted.has(id)) await this.removed(id)
  }

  stop(): Promise<void> {
    this.#serving = false
    return this.manager.stop()
  }
}

/**
 * The NFS side of the server, or null when NFS is off: WM_NFS_ENABLED=false,
 * or (unless WM_NFS_ENABLED was set to true) ganesha is not installed, which
 * is logged as a warning. With WM_NFS_ENABLED=true a missing piece throws.
 */
export function createNfs(
  config: Config,
  store: MetadataStore,
  log: FastifyBaseLogger,
  found: ReturnType<typeof findNfsTools> = findNfsTools(),
): WorkspaceNfs | null {
  if (!config.nfs.enabled) return null
  if ('missing' in found) {
    const message =
      `NFS needs ${found.missing.join(', ')}; install them with scripts/ensure-nfs.sh ` +
      `(apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind dbus)`
    if (config.nfs.required) {
      throw new Error(`WM_NFS_ENABLED=true but ${message}, or set WM_NFS_ENABLED=false`)
    }
    log.warn(`NFS is off (workspaces have nfs_url null): ${message}`)
    return null
  }
  if (process.getuid?.() !== 0) {
    const message =
      'NFS-Ganesha must run as root (it opens files by handle, which needs CAP_DAC_READ_SEARCH)'
    if (config.nfs.required) {
      throw new Error(`WM_NFS_ENABLED=true but ${message}; or set WM_NFS_ENABLED=false`)
    }
    log.warn(`NFS is off (workspaces have nfs_url null): ${message}`)
    return null
  }
  return new WorkspaceNfs({ config, tools: found.tools, store, log })
}
