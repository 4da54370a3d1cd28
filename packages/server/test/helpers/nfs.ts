/**
 * Helpers for the NFS tests: a real ganesha per app on free loopback ports,
 * and libnfs's command-line client (nfs-ls, nfs-cat, nfs-cp from Debian's
 * libnfs-utils; these machines have no kernel NFS client).
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/index.js'
import { findNfsTools, which } from '../../src/nfs/tools.js'

/** Why the NFS tests cannot run here, or null when they can. */
export function nfsSkipReason(): string | null {
  const found = findNfsTools()
  if ('missing' in found) {
    return `NFS-Ganesha is not installed (${found.missing.join(', ')}): run scripts/ensure-nfs.sh`
  }
  for (const tool of ['nfs-ls', 'nfs-cat', 'nfs-cp']) {
    if (!which(tool)) return `${tool} is missing: install libnfs-utils (scripts/ensure-nfs.sh)`
  }
  if (process.getuid?.() !== 0) return 'ganesha and the privileged-port NFS client need root'
  return null
}

/** `count` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer()
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

export interface NfsApp {
  app: FastifyInstance
  config: Config
  dataDir: string
  /** Closes the app (stopping ganesha); idempotent. */
  close(): Promise<void>
}

/** A ready app with NFS on (required) on free ports, on `dataDir` (a fresh one by default). */
export async function nfsApp(env: Record<string, string> = {}, dataDir?: string): Promise<NfsApp> {
  const dir = dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'wm-nfs-test-')))
  const [port, mountPort] = await freePorts(2)
  const config = loadConfig({
    WM_DATA_DIR: dir,
    WM_NFS_ENABLED: 'true',
    WM_NFS_PORT: String(port),
    WM_NFS_MOUNT_PORT: String(mountPort),
    ...env,
  })
  const app = await buildApp(config, { logger: pino({ level: 'silent' }) })
  let closed: Promise<void> | null = null
  try {
    await app.ready()
  } catch (error) {
    await app.close()
    throw error
  }
  return { app, config, dataDir: dir, close: () => (closed ??= app.close()) }
}

/** libnfs URL of `file` in a workspace's export, NFSv3 (ports given, no rpcbind needed) or v4.0. */
export function nfsUrl(config: Config, workspaceId: string, file = '', version: 3 | 4 = 3): string {
  const ports =
    version === 3
      ? `version=3&nfsport=${config.nfs.port}&mountport=${config.nfs.mountPort}`
      : `version=4&nfsport=${config.nfs.port}`
  const suffix = file ? `/${file}` : ''
  return `nfs://${config.nfs.host}/workspaces/${workspaceId}${suffix}?${ports}`
}

export interface RunResult {
  code: number | null
  stdout: Buffer
  stderr: string
  sha256: string
}

/** Runs a command with a time limit; stdout is kept and hashed. */
export function run(command: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const hash = createHash('sha256')
    const chunks: Buffer[] = []
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk)
      chunks.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(chunks), stderr, sha256: hash.digest('hex') })
    })
  })
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** True when a process with this pid exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}
