/**
 * `client.nfs`: mount a workspace's NFS export on this machine, check it,
 * unmount it. The service asks the API for the workspace (its `nfsUrl` says
 * where the export is; `null` means NFS is off on the server), applies the
 * client's `nfsHost`/`nfsPort` if set, and runs the platform's `mount`.
 *
 * `isMounted` answers for NFS mounts only (types `nfs` and `nfs4`): the
 * question is whether a workspace is mounted there, and `unmount` refuses
 * anything else, so it never unmounts a local disk by mistake. Mounting and
 * unmounting need root on Linux and macOS (the exports only accept privileged
 * source ports); without it they throw `PermissionDeniedError` suggesting sudo.
 */
import type { ResolvedClientConfig } from '../config.js'
import {
  mergeOptions,
  mountArgv,
  normalizeVersion,
  platformKind,
  resolveNfsTarget,
  type NfsMountOptions,
  type NfsTarget,
} from '../nfs-command.js'
import type { CallOptions } from '../types.js'
import { absolutePath, LocalNfs } from './local-nfs.js'
import { nodeSystem, type LocalSystem } from './local-system.js'
import type { WorkspaceService } from './workspace.js'

/** Workspaces mounted over NFS. Reached as `client.nfs`. */
export class NfsService {
  readonly #workspaces: WorkspaceService
  readonly #config: ResolvedClientConfig
  readonly #local: LocalNfs

  /** Built by {@link WorkspaceClient}; `system` replaces the local machine (tests). */
  constructor(workspaces: WorkspaceService, config: ResolvedClientConfig, system?: LocalSystem) {
    this.#workspaces = workspaces
    this.#config = config
    this.#local = new LocalNfs(system ?? nodeSystem())
  }

  /**
   * Mounts the workspace on `mountPoint` (made if missing) and resolves to the
   * mount point as an absolute path. `options.version`: `'4.1'` (default),
   * `'3'`, `'4'`, `'4.0'`, `'4.2'`; `options.readOnly`; `options.options`:
   * extra `mount -o` options, each replacing the built-in one of the same name.
   */
  async mount(
    workspaceId: string,
    mountPoint: string,
    options: NfsMountOptions & CallOptions = {},
  ): Promise<string> {
    const target = await this.#target(workspaceId, options)
    return this.#local.mount(target, mountPoint, options)
  }

  /** The argv `mount` would run for the same arguments, without running it. */
  async mountCommand(
    workspaceId: string,
    mountPoint: string,
    options: NfsMountOptions & CallOptions = {},
  ): Promise<string[]> {
    const target = await this.#target(workspaceId, options)
    return mountArgv(this.#local.system.platform, target, absolutePath(mountPoint), options)
  }

  /** True if an NFS filesystem is mounted on `path` (symlinks resolved). */
  async isMounted(path: string): Promise<boolean> {
    return (await this.#local.find(path)).entry !== undefined
  }

  /** `umount` the NFS mount on `path`; `force` runs `umount -f` (for a dead server). */
  async unmount(path: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#local.unmount(path, options.force === true)
  }

  /** Checks the arguments and the platform, then asks the server where the export is. */
  async #target(workspaceId: string, options: NfsMountOptions & CallOptions): Promise<NfsTarget> {
    normalizeVersion(options.version ?? '4.1')
    mergeOptions([], options.options)
    platformKind(this.#local.system.platform)
    const workspace = await this.#workspaces.get(workspaceId, {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    })
    return resolveNfsTarget(workspace.nfsUrl, {
      host: this.#config.nfsHost,
      port: this.#config.nfsPort,
      apiHost: new URL(this.#config.apiUrl).hostname,
    })
  }
}
