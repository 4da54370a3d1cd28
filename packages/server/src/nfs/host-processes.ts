/**
 * The host processes around NFS-Ganesha, as plain functions: the private
 * D-Bus daemon it talks to, the host's rpcbind, and what a crashed run left
 * behind. The supervision itself stays in manager.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { renderBusConfig, type NfsPaths } from './ganesha-config.js'

/** Longest unix socket path the kernel takes, with room to spare. */
const MAX_SOCKET_PATH = 100

/** Whether something accepts TCP connections on host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** The last lines of a log file, for error messages. */
export async function tail(file: string, lines = 15): Promise<string> {
  try {
    const handle = await fsp.open(file, 'r')
    try {
      const { size } = await handle.stat()
      const length = Math.min(size, 8192)
      const buffer = Buffer.alloc(length)
      await handle.read(buffer, 0, length, size - length)
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } finally {
      await handle.close()
    }
  } catch {
    return '(no log)'
  }
}

/** True when `pid` is a live process whose command name is `name`. */
export function alive(pid: number, name: string): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const comm = /^Name:\s*(.*)$/m.exec(status)?.[1]
    const state = /^State:\s*(\S)/m.exec(status)?.[1]
    return state !== 'Z' && comm !== undefined && name.startsWith(comm)
  } catch {
    return false
  }
}

/** Resolves true once `child` has exited, false after `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/** Stops the process named in `pidFile` if it is still a live `name` (left by a crashed run). */
export async function killStale(
  pidFile: string,
  name: string,
  log: FastifyBaseLogger,
): Promise<void> {
  let pid: number
  try {
    pid = Number((await fsp.readFile(pidFile, 'utf8')).trim())
  } catch {
    return
  }
  if (Number.isSafeInteger(pid) && pid > 1 && alive(pid, name)) {
    log.warn({ pid, name }, 'stopping an NFS process left by an earlier run')
    process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 50 && alive(pid, name); i++) await sleep(100)
    if (alive(pid, name)) process.kill(pid, 'SIGKILL')
  }
  await fsp.rm(pidFile, { force: true })
}

/**
 * NFSv3 clients find the MOUNT and NFS ports through rpcbind, and ganesha
 * will not start without one to register with. One rpcbind serves the
 * whole host: it is started (detached, as a service would be) only when
 * none answers, and left running when the server stops.
 */
export async function ensureRpcbind(
  rpcbind: string | null | undefined,
  log: FastifyBaseLogger,
): Promise<void> {
  if (await portAnswers('127.0.0.1', 111)) return
  if (!rpcbind) {
    throw new Error('rpcbind is not running and not installed (Debian package rpcbind)')
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`rpcbind is not running; start it as root: ${rpcbind} -w`)
  }
  await fsp.mkdir('/run/rpcbind', { recursive: true })
  log.info('starting rpcbind (none was running)')
  const child = spawn(rpcbind, ['-w'], { stdio: 'ignore', detached: true })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`rpcbind -w exited with code ${code}`)
  for (let i = 0; i < 50; i++) {
    if (await portAnswers('127.0.0.1', 111)) return
    await sleep(100)
  }
  throw new Error('rpcbind started but does not answer on 127.0.0.1:111')
}

/**
 * Starts ganesha's private dbus-daemon (its own config, socket and log under
 * the NFS dir). Returns the child at once, so the caller can watch it, and
 * its bus address once the daemon prints it.
 */
export function spawnPrivateBus(
  paths: NfsPaths,
  dbusDaemon: string,
): { child: ChildProcess; address: Promise<string> } {
  const socket = path.join(paths.dir, 'dbus.sock')
  const listen =
    Buffer.byteLength(socket) <= MAX_SOCKET_PATH
      ? `unix:path=${socket}`
      : `unix:abstract=wm-nfs-${createHash('sha256').update(paths.dir).digest('hex').slice(0, 24)}`
  fs.rmSync(socket, { force: true })
  fs.writeFileSync(paths.busConfig, renderBusConfig(listen), { mode: 0o600 })
  const log = fs.openSync(path.join(paths.dir, 'dbus.log'), 'a')
  let child: ChildProcess
  try {
    child = spawn(
      dbusDaemon,
      ['--nofork', '--nopidfile', `--config-file=${paths.busConfig}`, '--print-address=1'],
      { stdio: ['ignore', 'pipe', log] },
    )
  } finally {
    fs.closeSync(log)
  }
  const address = new Promise<string>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error('dbus-daemon printed no address in 5 s')), 5000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const line = output.split('\n')[0]
      if (output.includes('\n') && line) {
        clearTimeout(timer)
        resolve(line.trim())
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`dbus-daemon exited with code ${code} (see ${paths.dir}/dbus.log)`))
    })
    child.once('error', reject)
  })
  return { child, address }
}
