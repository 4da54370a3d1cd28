/**
 * The metadata store's share of request latency: the PostgreSQL store beside
 * the embedded SQLite one, in one run, on the two calls clients make most:
 *   1. GET /v1/sandboxes/{id} (one read of the sandbox's row);
 *   2. exec of `echo hi` through the agent (POST /v1/sandboxes/{id}/processes).
 * Each store gets its own app (built in-process), data dir and running
 * sandbox; PostgreSQL runs as a throwaway cluster on 127.0.0.1. The two apps
 * are timed alternately, one call each in turn, the order swapped every run,
 * so that load from elsewhere on the machine falls on both alike.
 * Run alone: npm run bench:store  (BENCH_RUNS overrides the 200 timed runs).
 */
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs/promises'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import { openStore } from '../packages/server/src/store/open.js'
import { newDatabase, startPostgres } from '../packages/server/test/helpers/postgres.js'
import { timeAlternately } from './stats.js'
import type { BenchTable } from './table.js'

/** What the store rows are run with. */
export interface StoreBench {
  /** Timed runs of each row, per store. */
  runs: number
  /** Untimed runs of each row, per store, before the timed ones. */
  warmup: number
  /** Image of the two sandboxes. */
  template: string
  /** Where the rows are recorded. */
  table: BenchTable
}

/** An HTTP reply: status and body text. */
export type Reply = { status: number; text: string }

/** One store's app, reached over its own keep-alive connection, with a running sandbox. */
interface Side {
  request: (method: string, route: string, body?: unknown) => Promise<Reply>
  sandboxId: string
}

/**
 * Undo steps, run last-added first whatever failed; their own failures are
 * reported, not thrown. `run` on a signal while the benchmark still works:
 * a second `run` waits for the same pass instead of racing it, and what is
 * acquired after the pass began (a cluster that was still starting) is
 * undone at once, its `add` throwing so that nothing more is started.
 */
export class Cleanup {
  readonly #steps: Array<[string, () => Promise<unknown>]> = []
  #running: Promise<void> | undefined

  add(what: string, step: () => Promise<unknown>): void {
    this.#steps.push([what, step])
    if (this.#running) {
      this.#running = this.#running.then(() => this.#drain())
      throw new Error(`interrupted (${what} done at once)`)
    }
  }

  run(): Promise<void> {
    this.#running ??= this.#drain()
    return this.#running
  }

  async #drain(): Promise<void> {
    for (let next = this.#steps.pop(); next; next = this.#steps.pop()) {
      const [what, step] = next
      await step().catch((error: unknown) => console.error(`cleanup: ${what} failed:`, error))
    }
  }
}

/** Requests to `base` over one keep-alive connection (no pool growth between timed runs). */
export function client(
  base: URL,
  cleanup: Cleanup,
): (method: string, route: string, body?: unknown) => Promise<Reply> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  cleanup.add('closing the HTTP agent', async () => agent.destroy())
  return (method, route, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const headers: http.OutgoingHttpHeaders = payload
        ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
        : {}
      const req = http.request(
        { agent, host: base.hostname, port: base.port, method, path: route, headers },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
}

/**
 * Builds an app on a fresh data dir with the store the server itself would
 * open for `databaseUrl` (none: SQLite in the data dir), and creates a
 * workspace and a running sandbox in it; `cleanup` undoes each step.
 */
async function openSide(
  bench: StoreBench,
  databaseUrl: string | undefined,
  cleanup: Cleanup,
): Promise<Side> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-store-'))
  cleanup.add(`removing ${dataDir}`, () => fs.rm(dataDir, { recursive: true, force: true }))
  const env = { ...process.env }
  delete env.WM_DATABASE_URL
  if (databaseUrl) env.WM_DATABASE_URL = databaseUrl
  const config = loadConfig({
    ...env,
    WM_DATA_DIR: dataDir,
    WORKSPACE_DEFAULT_IMAGE: bench.template,
    // NFS is not measured here; off, so a server already serving on 12049 is no obstacle.
    WM_NFS_ENABLED: 'false',
  })
  const logger = pino({ level: 'warn' })
  const store = await openStore(config, logger)
  // The app closes its store; until it is built, the store is ours to close.
  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    app = await buildApp(config, { store, logger })
  } catch (error) {
    await store.close().catch(() => undefined)
    throw error
  }
  cleanup.add('closing the app', () => app.close())
  const request = client(new URL(await app.listen({ host: '127.0.0.1', port: 0 })), cleanup)
  const workspace = await request('POST', '/v1/workspaces', {})
  if (workspace.status !== 201) throw new Error(`workspace: ${workspace.status} ${workspace.text}`)
  const workspaceId = (JSON.parse(workspace.text) as { id: string }).id
  cleanup.add('deleting the workspace', () => request('DELETE', `/v1/workspaces/${workspaceId}`))
  const sandbox = await request('POST', '/v1/sandboxes', { workspace_id: workspaceId })
  if (sandbox.status !== 201) throw new Error(`sandbox: ${sandbox.status} ${sandbox.text}`)
  const sandboxId = (JSON.parse(sandbox.text) as { id: string }).id
  cleanup.add('deleting the sandbox', () =>
    request('DELETE', `/v1/sandboxes/${sandboxId}?force=true`),
  )
  return { request, sandboxId }
}

/** Records one row, PostgreSQL beside SQLite (the target: within 1.50x of SQLite). */
function addRow(table: BenchTable, title: string, postgres: number[], sqlite: number[]): void {
  table.latency(title, postgres, sqlite, 'SQLite store', {
    oursLabel: 'PostgreSQL store',
    note: 'target: PostgreSQL within 1.50x of SQLite',
  })
}

/**
 * GET of a sandbox and exec of `echo hi`, with the PostgreSQL store beside
 * the SQLite one (see the top of this file). Everything it starts (apps,
 * sandboxes, the PostgreSQL cluster, data dirs) is removed before it returns
 * or throws, and on SIGINT/SIGTERM.
 */
export async function storeRows(bench: StoreBench): Promise<void> {
  const cleanup = new Cleanup()
  // A signal starts the clean-up at once; the benchmark then fails on what is
  // gone, and exits with the signal's status once the last step is undone. A
  // second signal kills at once (the handlers are gone by then).
  let signalled: NodeJS.Signals | undefined
  const interrupted = (signal: NodeJS.Signals) => {
    signalled = signal
    void cleanup.run()
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const sqlite = await openSide(bench, undefined, cleanup)
    const cluster = await startPostgres()
    cleanup.add('stopping the PostgreSQL cluster', () => cluster.stop())
    const url = await newDatabase(cluster.url)
    const postgres = await openSide(bench, url, cleanup)

    const get = (side: Side) => async () => {
      const reply = await side.request('GET', `/v1/sandboxes/${side.sandboxId}`)
      if (reply.status !== 200 || !reply.text.includes('"state":"running"'))
        throw new Error(`GET: ${reply.status} ${reply.text}`)
    }
    const [getPostgres, getSqlite] = await timeAlternately(
      bench.runs,
      bench.warmup,
      get(postgres),
      get(sqlite),
    )
    addRow(bench.table, 'GET /v1/sandboxes/{id} of a running sandbox', getPostgres, getSqlite)

    const exec = (side: Side) => async () => {
      const reply = await side.request('POST', `/v1/sandboxes/${side.sandboxId}/processes`, {
        cmd: 'echo',
        args: ['hi'],
      })
      if (reply.status !== 200 || !reply.text.includes('"stdout":"hi\\n"'))
        throw new Error(`exec: ${reply.status} ${reply.text}`)
    }
    const [execPostgres, execSqlite] = await timeAlternately(
      bench.runs,
      bench.warmup,
      exec(postgres),
      exec(sqlite),
    )
    addRow(
      bench.table,
      'exec `echo hi` in a running sandbox (POST processes)',
      execPostgres,
      execSqlite,
    )
  } finally {
    await cleanup.run()
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    if (signalled) process.exit(signalled === 'SIGINT' ? 130 : 143)
  }
}
