import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { until } from './client.js'

/** The repository root (this file is packages/server/test/replicas/processes.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/**
 * Every child still running, with the signal that ends it at once: what an
 * interrupted test process (a time-out, Ctrl-C) sends before it goes, so no
 * server or load balancer outlives it.
 */
const live = new Map<ChildProcess, NodeJS.Signals>()
const lastWords: Array<() => void> = []

/**
 * Runs `cleanup` (synchronous: the process is going) if the test process
 * exits or is interrupted before the cleanup was unregistered; returns the
 * function that unregisters it.
 */
export function onAbnormalExit(cleanup: () => void): () => void {
  lastWords.push(cleanup)
  return () => {
    const index = lastWords.indexOf(cleanup)
    if (index !== -1) lastWords.splice(index, 1)
  }
}

function killEverything(): void {
  for (const [child, signal] of live) child.kill(signal)
  for (const cleanup of lastWords.splice(0).reverse()) {
    try {
      cleanup()
    } catch {
      // Best effort: the process is exiting.
    }
  }
}
process.once('exit', killEverything)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killEverything()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

/** A child process whose stdout and stderr go to a log file. */
export class LoggedProcess {
  readonly #child: ChildProcess
  readonly exited: Promise<void>
  #running = true

  constructor(
    readonly name: string,
    readonly logFile: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    /** What ends it at once if the test process goes first (a helper that cleans up after itself: SIGTERM). */
    lastSignal: NodeJS.Signals = 'SIGKILL',
  ) {
    const log = fs.openSync(logFile, 'a')
    this.#child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', log, log] })
    fs.closeSync(log)
    live.set(this.#child, lastSignal)
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', () => {
        this.#running = false
        live.delete(this.#child)
        resolve()
      })
      this.#child.once('error', (error) => {
        fs.appendFileSync(logFile, `\nspawn failed: ${error.message}\n`)
        this.#running = false
        live.delete(this.#child)
        resolve()
      })
    })
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  get running(): boolean {
    return this.#running
  }

  /** Sends `signal` (a no-op once it has exited). */
  kill(signal: NodeJS.Signals): void {
    if (this.#running) this.#child.kill(signal)
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#running) return
    this.kill('SIGTERM')
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  /** The last `lines` lines of its log. */
  tail(lines = 150): string {
    const text = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : ''
    return text.split('\n').slice(-lines).join('\n')
  }
}

/**
 * Waits until `url` answers 200, at most `timeoutMs`; fails at once, with the
 * log, if the process exits first.
 */
export async function waitUntilReady(
  process: LoggedProcess,
  url: string,
  timeoutMs = 60_000,
): Promise<void> {
  let last = 'no answer'
  await until(
    `${process.name} at ${url}`,
    timeoutMs,
    async () => {
      if (!process.running) {
        throw new Error(`${process.name} exited before ${url} answered:\n${process.tail()}`)
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
        last = `${response.status} ${await response.text()}`
        return response.status === 200 ? true : undefined
      } catch (error) {
        last = String(error)
        return undefined
      }
    },
    () => last,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n---- ${process.name} log ----\n${process.tail()}`)
  })
}

/** Environment for a child: ours, minus any server or client setting that could leak in. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(WM_|WORKSPACE_|SPLUNK_|NODE_TEST)/.test(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

/** `path.join` under the repository root. */
export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts)
}
