/**
 * Workspace disk quotas the kernel enforces: on btrfs with quotas enabled,
 * each workspace directory is a subvolume, counted by its own qgroup, with
 * the workspace's limit as the qgroup's referenced-bytes limit. A process in
 * a sandbox writing past it gets EDQUOT from the kernel, as does the file API.
 * Other filesystems (ext4 and the rest) cannot count a directory's usage:
 * the server then makes plain directories and refuses quotas with a reason.
 */
import { execFile } from 'node:child_process'
import { promises as fs } from 'node:fs'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** statfs `f_type` magic numbers of the filesystems named in messages. */
const FILESYSTEMS = new Map<number, string>([
  [0x9123683e, 'btrfs'],
  [0x58465342, 'xfs'],
  [0xef53, 'ext4'],
  [0x01021994, 'tmpfs'],
  [0x794c7630, 'overlayfs'],
  [0x6969, 'nfs'],
  [0x2fc12fc1, 'zfs'],
])

/** How quota-tracked workspace directories are made, limited, counted and forgotten. */
export interface WorkspaceQuotas {
  /** The filesystem the data directory is on. */
  readonly filesystem: string
  /**
   * Creates `dir` (which must not exist) as a directory whose usage the
   * kernel counts, limited to `limitBytes` (null: unlimited); resolves the id
   * it is counted under.
   */
  createCounted(dir: string, limitBytes: number | null): Promise<number>
  /** Sets (or with null lifts) the limit of the directory counted under `quotaId`. */
  setLimit(quotaId: number, limitBytes: number | null): Promise<void>
  /** Bytes used under each quota id, after flushing what is being written. */
  usage(): Promise<Map<number, number>>
  /** Forgets the counting of a directory that has been removed (best effort). */
  release(quotaId: number): Promise<void>
}

/** What {@link probeQuotas} found: quotas, or why there are none. */
export type QuotaProbe =
  | { quotas: WorkspaceQuotas; filesystem: string }
  | { quotas: null; filesystem: string; reason: string }

/** The name of the filesystem `dir` is on (`ext4`, `btrfs`, ... or its magic number). */
export async function filesystemOf(dir: string): Promise<string> {
  const { type } = await fs.statfs(dir)
  return FILESYSTEMS.get(type) ?? `filesystem type 0x${type.toString(16)}`
}

/**
 * Whether workspaces under `dir` (which must exist) can have quotas: true on
 * btrfs with quotas enabled and the `btrfs` tool installed.
 */
export async function probeQuotas(dir: string): Promise<QuotaProbe> {
  const filesystem = await filesystemOf(dir)
  const refuse = (why: string): QuotaProbe => ({ quotas: null, filesystem, reason: why })
  if (filesystem !== 'btrfs') {
    return refuse(
      `the data directory is on ${filesystem}, which cannot enforce a quota per workspace; ` +
        'quotas need btrfs with quotas enabled (see docs/quotas.md)',
    )
  }
  try {
    await run('btrfs', ['qgroup', 'show', '--raw', dir])
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    return refuse(
      missing
        ? 'the data directory is on btrfs but the btrfs tool (btrfs-progs) is not installed'
        : 'the data directory is on btrfs without quotas enabled (btrfs quota enable <mount point>)',
    )
  }
  return { quotas: new BtrfsQuotas(dir), filesystem }
}

/** btrfs subvolumes counted and limited by their level-0 qgroups, through the `btrfs` tool. */
class BtrfsQuotas implements WorkspaceQuotas {
  readonly filesystem = 'btrfs'
  /** Any path on the filesystem: the tool finds the filesystem from it. */
  readonly #anchor: string

  constructor(anchor: string) {
    this.#anchor = anchor
  }

  async createCounted(dir: string, limitBytes: number | null): Promise<number> {
    await run('btrfs', ['subvolume', 'create', dir])
    try {
      const { stdout } = await run('btrfs', ['inspect-internal', 'rootid', dir])
      const quotaId = Number(stdout.trim())
      if (!Number.isSafeInteger(quotaId)) throw new Error(`btrfs gave no subvolume id for ${dir}`)
      // Enabled quotas give every new subvolume its qgroup; only the limit is set here.
      if (limitBytes !== null) await this.setLimit(quotaId, limitBytes)
      return quotaId
    } catch (error) {
      // Empty and just made: rmdir removes a subvolume like a directory.
      await fs.rmdir(dir).catch(() => undefined)
      throw error
    }
  }

  async setLimit(quotaId: number, limitBytes: number | null): Promise<void> {
    const limit = limitBytes === null ? 'none' : String(limitBytes)
    await run('btrfs', ['qgroup', 'limit', limit, `0/${quotaId}`, this.#anchor])
  }

  async usage(): Promise<Map<number, number>> {
    // --sync commits what is being written first, so usage is current, not a commit behind.
    const { stdout } = await run('btrfs', ['qgroup', 'show', '--raw', '--sync', this.#anchor], {
      maxBuffer: 64 * 1024 * 1024,
    })
    const used = new Map<number, number>()
    for (const line of stdout.split('\n')) {
      const match = /^0\/(\d+)\s+(\d+)\s/.exec(line.trim())
      if (match) used.set(Number(match[1]), Number(match[2]))
    }
    return used
  }

  async release(quotaId: number): Promise<void> {
    // Recent kernels drop a removed subvolume's qgroup themselves; then there is nothing to do.
    await run('btrfs', ['qgroup', 'destroy', `0/${quotaId}`, this.#anchor]).catch(() => undefined)
  }
}
