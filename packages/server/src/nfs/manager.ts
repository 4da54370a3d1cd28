/**
 * Runs and supervises the NFS server of one wm-server instance: a private
 * dbus-daemon and `ganesha.nfsd -F` as children, with every file under
 * WM_DATA_DIR/nfs, and keeps ganesha's exports equal to the workspaces
 * through its dynamic export interface (org.ganesha.nfsd.exportmgr
 * AddExport/RemoveExport over D-Bus), without restarting it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { NfsConfig } from '../config/index.js'
import {
  nfsPaths,
  pseudoPath,
  renderExport,
  renderGaneshaConfig,
  type ExportPolicy,
  type ExportSpec,
  type NfsPaths,
} from './ganesha-config.js'
import type { NfsTools } from './tools.js'
import {
  ensureRpcbind,
  killStale,
  portAnswers,
  spawnPrivateBus,
  tail,
  waitForExit,
} from './host-processes.js'

export type { ExportSpec } from './ganesha-config.js'

export interface NfsManagerOptions {
  config: NfsConfig
  dataDir: string
  tools: NfsTools
  log: FastifyBaseLogger
  /** How long ganesha may take to answer at start; default 20 s. */
  startTimeoutMs?: number
}

const EXPORT_MANAGER = ['--dest=org.ganesha.nfsd', '/org/ganesha/nfsd/ExportMgr']
const RESTART_MIN_MS = 1000
const RESTART_MAX_MS = 30_000
/** A ganesha that ran this long before dying restarts after the minimum delay again. */
const STABLE_MS = 60_000
const STOP_GRACE_MS = 10_000
const LOG_ROTATE_BYTES = 10 * 1024 * 1024
/** sockaddr_un holds 108 bytes; longer socket paths use an abstract socket instead. */

/**
 * One NFS server for one data dir. `start` runs it with the given exports;
 * `add`/`remove` change them live; if ganesha or its bus dies it is started
 * again (with the current exports) after a growing delay; `stop` ends both.
 */
export class NfsManager {
  readonly #options: NfsManagerOptions
  readonly #paths: NfsPaths
  readonly #policy: ExportPolicy
  readonly #exports = new Map<string, ExportSpec>()
  #ganesha: ChildProcess | null = null
  #bus: ChildProcess | null = null
  #busAddress = ''
  #state: 'idle' | 'running' | 'restarting' | 'closed' = 'idle'
  #queue: Promise<unknown> = Promise.resolve()
  #restartTimer: NodeJS.Timeout | null = null
  #restartDelay = RESTART_MIN_MS
  #startedAt = 0
  /** Children being stopped on purpose: their exit is not a crash. */
  readonly #stopping = new WeakSet<ChildProcess>()

  constructor(options: NfsManagerOptions) {
    this.#options = options
    this.#paths = nfsPaths(options.dataDir)
    this.#policy = {
      clients: options.config.clients,
      anonUid: process.getuid?.() ?? 0,
      anonGid: process.getgid?.() ?? 0,
    }
  }

  get paths(): NfsPaths {
    return this.#paths
  }

  /** True while ganesha is up and answering. */
  get running(): boolean {
    return this.#state === 'running'
  }

  /** The pid of the current ganesha.nfsd, for tests and diagnostics. */
  get ganeshaPid(): number | undefined {
    return this.#ganesha?.pid
  }

  /** `nfs://host:port/workspaces/<id>`. */
  url(workspaceId: string): string {
    const { publicHost, port } = this.#options.config
    const host = publicHost.includes(':') ? `[${publicHost}]` : publicHost
    return `nfs://${host}:${port}${pseudoPath(workspaceId)}`
  }

  /** True once `stop` was called: this manager never serves again. */
  get stopped(): boolean {
    return this.#state === 'closed'
  }

  /** Ids of the workspaces exported (or to be, once ganesha runs). */
  exportedWorkspaces(): Set<string> {
    return new Set(this.#exports.keys())
  }

  /** Starts the bus and ganesha serving `exports`; rejects (leaving nothing running) on failure. */
  async start(exports: ExportSpec[]): Promise<void> {
    for (const spec of exports) this.#exports.set(spec.workspaceId, spec)
    await this.#serial(async () => {
      await this.#launch()
      this.#state = 'running'
    })
    const { host, port, mountPort } = this.#options.config
    this.#options.log.info(
      { host, port, mountPort, exports: exports.length, pid: this.#ganesha?.pid },
      'NFS server (ganesha) serving workspaces',
    )
  }

  /** Exports a workspace (written to its file, then AddExport if ganesha runs). */
  add(spec: ExportSpec): Promise<void> {
    return this.#serial(async () => {
      this.#exports.set(spec.workspaceId, spec)
      const file = await this.#writeExport(spec)
      if (this.#state !== 'running') return
      await this.#dbus('AddExport', `string:${file}`, `string:EXPORT(Export_Id=${spec.exportId})`)
    })
  }

  /** Unexports a workspace; a no-op when it is not exported. */
  remove(workspaceId: string): Promise<void> {
    return this.#serial(async () => {
      const spec = this.#exports.get(workspaceId)
      if (!spec) return
      this.#exports.delete(workspaceId)
      try {
        if (this.#state === 'running') {
          await this.#dbus('RemoveExport', `uint16:${spec.exportId}`)
        }
      } finally {
        await fsp.rm(this.#exportFile(spec.exportId), { force: true })
      }
    })
  }

  /** Stops ganesha and its bus; for good. */
  async stop(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    if (this.#restartTimer) clearTimeout(this.#restartTimer)
    this.#restartTimer = null
    await this.#queue.catch(() => undefined)
    await this.#terminateChildren()
  }

  /** The state, re-read (a stop may land while a restart awaits). */
  #isClosed(): boolean {
    return this.#state === 'closed'
  }

  /** Runs `operation` after every earlier one (exports and restarts never interleave). */
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation)
    this.#queue = run.catch(() => undefined)
    return run
  }

  #exportFile(exportId: number): string {
    return path.join(this.#paths.exportsDir, `${exportId}.conf`)
  }

  async #writeExport(spec: ExportSpec): Promise<string> {
    const file = this.#exportFile(spec.exportId)
    await fsp.writeFile(`${file}.tmp`, renderExport(spec, this.#policy), { mode: 0o600 })
    await fsp.rename(`${file}.tmp`, file)
    return file
  }

  /** Calls an org.ganesha.nfsd.exportmgr method; rejects with ganesha's message on error. */
  #dbus(method: string, ...args: string[]): Promise<string> {
    const { dbusSend } = this.#options.tools
    return new Promise((resolve, reject) => {
      execFile(
        dbusSend,
        [
          `--bus=${this.#busAddress}`,
          '--print-reply',
          '--reply-timeout=15000',
          ...EXPORT_MANAGER,
          `org.ganesha.nfsd.exportmgr.${method}`,
          ...args,
        ],
        { timeout: 20_000 },
        (error, stdout, stderr) => {
          if (error) {
            const detail = stderr.trim() || error.message
            reject(new Error(`ganesha ${method} ${args.join(' ')} failed: ${detail}`))
          } else resolve(stdout)
        },
      )
    })
  }

  /** Writes every file, starts rpcbind if needed, the bus and ganesha; waits until it answers. */
  async #launch(): Promise<void> {
    const paths = this.#paths
    await fsp.mkdir(paths.dir, { recursive: true, mode: 0o700 })
    await fsp.chmod(paths.dir, 0o700)
    for (const dir of [paths.exportsDir, paths.recoveryDir, paths.runDir]) {
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
    }
    await this.#killStale(paths.pidFile, 'ganesha.nfsd')
    await this.#killStale(paths.busPidFile, 'dbus-daemon')
    // Export files are rewritten from the current set, so none outlives its workspace.
    for (const name of await fsp.readdir(paths.exportsDir)) {
      await fsp.rm(path.join(paths.exportsDir, name), { force: true })
    }
    const files: string[] = []
    for (const spec of [...this.#exports.values()].sort((a, b) => a.exportId - b.exportId)) {
      files.push(await this.#writeExport(spec))
    }
    try {
      await this.#ensureRpcbind()
      await this.#startBus()
      await this.#startGanesha(files)
    } catch (error) {
      await this.#terminateChildren()
      throw error
    }
  }

  /** Ends a ganesha or bus left by an earlier server on this data dir (killed without closing). */
  async #killStale(pidFile: string, name: string): Promise<void> {
    await killStale(pidFile, name, this.#options.log)
  }

  async #ensureRpcbind(): Promise<void> {
    await ensureRpcbind(this.#options.tools.rpcbind, this.#options.log)
  }

  async #startBus(): Promise<void> {
    const { child, address } = spawnPrivateBus(this.#paths, this.#options.tools.dbusDaemon)
    this.#bus = child
    this.#watch(child, 'dbus-daemon')
    this.#busAddress = await address
    await fsp.writeFile(this.#paths.busPidFile, `${child.pid}\n`)
  }

  async #startGanesha(exportFiles: string[]): Promise<void> {
    const { config, tools } = this.#options
    const paths = this.#paths
    await fsp.writeFile(
      paths.config,
      renderGaneshaConfig(paths, {
        host: config.host,
        port: config.port,
        mountPort: config.mountPort,
        pluginsDir: tools.pluginsDir,
        exportFiles,
      }),
      { mode: 0o600 },
    )
    try {
      if ((await fsp.stat(paths.log)).size > LOG_ROTATE_BYTES) {
        await fsp.rename(paths.log, `${paths.log}.1`)
      }
    } catch {
      // no log yet
    }
    const log = fs.openSync(paths.log, 'a')
    let child: ChildProcess
    try {
      child = spawn(
        tools.ganesha,
        ['-F', '-f', paths.config, '-L', paths.log, '-p', paths.pidFile, '-N', 'NIV_EVENT'],
        {
          stdio: ['ignore', log, log],
          env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.#busAddress },
        },
      )
    } finally {
      fs.closeSync(log)
    }
    this.#ganesha = child
    this.#startedAt = Date.now()
    this.#watch(child, 'ganesha.nfsd')
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 20_000)
    let lastError = ''
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `ganesha.nfsd exited at start-up (code ${child.exitCode}, signal ${child.signalCode}); ` +
            `is port ${config.port} or ${config.mountPort} on ${config.host} in use? Last lines of ${paths.log}:\n` +
            (await tail(paths.log)),
        )
      }
      if (await portAnswers(config.host, config.port)) {
        try {
          await this.#dbus('ShowExports')
          return
        } catch (error) {
          lastError = (error as Error).message
        }
      }
      await sleep(100)
    }
    throw new Error(
      `ganesha.nfsd did not answer on ${config.host}:${config.port} and D-Bus within ` +
        `${Math.round((this.#options.startTimeoutMs ?? 20_000) / 1000)} s (${lastError || 'no answer'}); ` +
        `last lines of ${paths.log}:\n${await tail(paths.log)}`,
    )
  }

  /** Restarts everything when a child dies on its own. */
  #watch(child: ChildProcess, name: string): void {
    child.once('error', (error) =>
      this.#options.log.error({ err: error, name }, 'NFS process error'),
    )
    child.once('exit', (code, signal) => {
      if (this.#stopping.has(child) || this.#state !== 'running') return
      this.#state = 'restarting'
      void (async () => {
        const ranMs = Date.now() - this.#startedAt
        if (ranMs > STABLE_MS) this.#restartDelay = RESTART_MIN_MS
        this.#options.log.error(
          { name, code, signal, restartInMs: this.#restartDelay, log: await tail(this.#paths.log) },
          `${name} exited unexpectedly; restarting the NFS server`,
        )
        await this.#terminateChildren()
        this.#scheduleRestart()
      })()
    })
  }

  #scheduleRestart(): void {
    if (this.#state === 'closed') return
    const delay = this.#restartDelay
    this.#restartDelay = Math.min(delay * 2, RESTART_MAX_MS)
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null
      void this.#serial(async () => {
        if (this.#state === 'closed') return
        try {
          await this.#launch()
          if (this.#isClosed()) {
            await this.#terminateChildren()
            return
          }
          this.#state = 'running'
          this.#options.log.info({ pid: this.#ganesha?.pid }, 'NFS server restarted')
        } catch (error) {
          this.#options.log.error(
            { err: error, restartInMs: this.#restartDelay },
            'NFS server did not restart',
          )
          this.#scheduleRestart()
        }
      })
    }, delay)
    this.#restartTimer.unref()
  }

  /** SIGTERM, then SIGKILL after a grace period: ganesha first, then its bus. */
  async #terminateChildren(): Promise<void> {
    for (const child of [this.#ganesha, this.#bus]) {
      if (!child) continue
      this.#stopping.add(child)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        if (!(await waitForExit(child, STOP_GRACE_MS))) {
          child.kill('SIGKILL')
          await waitForExit(child, STOP_GRACE_MS)
        }
      }
    }
    this.#ganesha = null
    this.#bus = null
    await fsp.rm(this.#paths.busPidFile, { force: true })
  }
}
