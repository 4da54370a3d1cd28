import { mountArgv, resolveNfsTarget } from 'workspace-sdk/nfs-command'
import { CopyButton } from './common.js'

/** A word as a POSIX shell reads it back: quoted when it holds anything special. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The workspace's NFS URL and the `mount` lines for Linux and macOS, made by
 * the SDK's own functions (the CLI's `wm nfs mount --print` shows the same).
 */
export function MountCommands({ nfsUrl, name }: { nfsUrl: string | null; name: string }) {
  if (!nfsUrl) {
    return (
      <p class="hint" data-testid="nfs-off">
        NFS is not enabled on this server: the workspace has no NFS URL.
      </p>
    )
  }
  let lines: { platform: string; command: string }[]
  try {
    const target = resolveNfsTarget(nfsUrl, { apiHost: location.hostname })
    const mountPoint = `/mnt/${name.replace(/[^A-Za-z0-9._-]/g, '-') || 'workspace'}`
    lines = [
      {
        platform: 'Linux',
        command: mountArgv('linux', target, mountPoint).map(shellQuote).join(' '),
      },
      {
        platform: 'macOS',
        command: mountArgv('darwin', target, mountPoint).map(shellQuote).join(' '),
      },
    ]
  } catch (error) {
    return <p class="error">{(error as Error).message}</p>
  }
  return (
    <div class="nfs">
      <div class="row">
        <span class="platform">NFS URL:</span>
        <code data-testid="nfs-url">{nfsUrl}</code> <CopyButton text={nfsUrl} />
      </div>
      {lines.map((line) => (
        <div class="row" key={line.platform}>
          <span class="platform">{line.platform} (as root):</span>
          <code>{line.command}</code> <CopyButton text={line.command} />
        </div>
      ))}
    </div>
  )
}
