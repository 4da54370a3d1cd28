import { ClientErrorCodes } from '@workspace-manager/protocol'
/** `wm nfs url|mount|umount`: workspaces mounted over NFS on this machine. */
import { Option, type Command } from 'commander'
import { NFS_VERSIONS, WorkspaceError, type NfsMountOptions, type NfsVersion } from 'workspace-sdk'
import type { CliContext } from '../context.js'

interface MountFlags {
  nfsVersion: NfsVersion
  ro?: boolean
  print?: boolean
  options?: string
}

/** Quotes one word for a POSIX shell when it needs it (`--print`). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The SDK options for `wm nfs mount`'s flags. */
export function mountOptions(flags: MountFlags): NfsMountOptions {
  return {
    version: flags.nfsVersion,
    readOnly: flags.ro === true,
    options: flags.options === undefined ? undefined : flags.options.split(','),
  }
}

/**
 * `wm nfs mount ... --version 3`: the root command would take `--version` for
 * its own (print wm's version and exit) wherever it appears, so after `nfs
 * mount` it is renamed `--nfs-version` before parsing. Other argv is unchanged.
 */
export function renameNfsVersionFlag(argv: string[]): string[] {
  const at = argv.findIndex((word, i) => word === 'nfs' && argv[i + 1] === 'mount')
  if (at < 0) return argv
  const end = argv.indexOf('--', at)
  return argv.map((word, i) => {
    if (i <= at + 1 || (end >= 0 && i > end)) return word
    if (word === '--version') return '--nfs-version'
    return word.startsWith('--version=') ? `--nfs-version=${word.slice(10)}` : word
  })
}

/** Adds the `nfs` command group to the program. */
export function registerNfsCommands(program: Command, context: CliContext): void {
  const nfs = program
    .command('nfs')
    .description('mount workspaces over NFS on this machine (mount and umount need root)')
  const service = () => context.client().nfs

  nfs
    .command('url')
    .argument('<workspace>', 'workspace id')
    .description("print the workspace's nfs:// URL (fails when NFS is off on the server)")
    .action(async (ws: string) => {
      const workspace = await context.client().workspace.get(ws)
      if (!workspace.nfsUrl) {
        throw new WorkspaceError({
          code: ClientErrorCodes.NFS_FAILED,
          message: `NFS is not enabled on the server: workspace ${ws} has no NFS URL`,
          details: { reason: 'nfs-disabled' },
        })
      }
      context.result({ id: workspace.id, nfsUrl: workspace.nfsUrl }, (v) => `${v.nfsUrl}\n`)
    })

  nfs
    .command('mount')
    .argument('<workspace>', 'workspace id')
    .argument('<mountpoint>', 'local directory (made if missing)')
    .description('mount a workspace (prints the mount point); --print shows the command instead')
    .addOption(
      new Option('--nfs-version <version>', 'NFS version (--version works too)')
        .choices(NFS_VERSIONS)
        .default('4.1'),
    )
    .option('--ro', 'mount read-only')
    .option('-o, --options <list>', 'extra mount options, comma-separated (e.g. soft,timeo=50)')
    .option('--print', 'print the mount command instead of running it')
    .action(async (ws: string, mountPoint: string, flags: MountFlags) => {
      const options = mountOptions(flags)
      if (flags.print) {
        const argv = await service().mountCommand(ws, mountPoint, options)
        context.result(argv, (words) => `${words.map(shellQuote).join(' ')}\n`)
        return
      }
      const point = await service().mount(ws, mountPoint, options)
      context.result({ workspaceId: ws, mountPoint: point }, (v) => `${v.mountPoint}\n`)
    })

  nfs
    .command('umount')
    .alias('unmount')
    .argument('<mountpoint>', 'where the workspace is mounted')
    .option('-f, --force', 'force the unmount (a server that is gone)')
    .description('unmount a workspace mounted over NFS')
    .action(async (mountPoint: string, flags: { force?: boolean }) => {
      await service().unmount(mountPoint, { force: flags.force === true })
      context.result({ mountPoint, unmounted: true }, () => '')
    })
}
