/**
 * Finding the programs the NFS manager runs: ganesha.nfsd with its VFS
 * backend, dbus-daemon and dbus-send, rpcbind. Debian's packages
 * (scripts/ensure-nfs.sh) put them in the usual places.
 */
import fs from 'node:fs'
import path from 'node:path'

export interface NfsTools {
  ganesha: string
  /** Directory holding ganesha's FSAL modules (libfsalvfs.so). */
  pluginsDir: string
  dbusDaemon: string
  dbusSend: string
  /** Absent when not installed; only needed when no rpcbind is running. */
  rpcbind: string | null
}

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/** The first executable `name` on PATH or in the system directories. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), ...SYSTEM_DIRS]
  for (const dir of dirs) {
    const file = path.join(dir, name)
    if (isExecutable(file)) return file
  }
  return null
}

/** Where distributions put ganesha's FSAL modules (Debian: /usr/lib/<triplet>/ganesha). */
function findPluginsDir(): string | null {
  const candidates = ['/usr/lib64/ganesha', '/usr/lib/ganesha', '/usr/local/lib64/ganesha']
  try {
    for (const entry of fs.readdirSync('/usr/lib')) {
      if (entry.includes('-linux-')) candidates.push(path.join('/usr/lib', entry, 'ganesha'))
    }
  } catch {
    // no /usr/lib: nothing more to try
  }
  candidates.push('/usr/local/lib/ganesha')
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'libfsalvfs.so'))) ?? null
}

/** The tools, or the names of what is missing. */
export function findNfsTools(): { tools: NfsTools } | { missing: string[] } {
  const ganesha = which('ganesha.nfsd')
  const pluginsDir = ganesha ? findPluginsDir() : null
  const dbusDaemon = which('dbus-daemon')
  const dbusSend = which('dbus-send')
  const missing: string[] = []
  if (!ganesha) missing.push('ganesha.nfsd (Debian package nfs-ganesha)')
  else if (!pluginsDir) missing.push('ganesha VFS backend libfsalvfs.so (nfs-ganesha-vfs)')
  if (!dbusDaemon) missing.push('dbus-daemon (dbus-daemon)')
  if (!dbusSend) missing.push('dbus-send (dbus-bin)')
  if (!ganesha || !pluginsDir || !dbusDaemon || !dbusSend) return { missing }
  return { tools: { ganesha, pluginsDir, dbusDaemon, dbusSend, rpcbind: which('rpcbind') } }
}
