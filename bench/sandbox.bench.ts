/**
 * Sandbox benchmarks, ours beside raw Docker in one run:
 *   1. exec of `echo hi` through our API (agent over a unix socket) vs dockerode exec;
 *   2. sandbox create -> running through our API vs dockerode create + start;
 *   3. create -> running served by the warm pool vs dockerode create + start (bench/warm-pool.ts);
 *   4. pause/resume, auto-resume and stop/start (see bench/lifecycle.ts);
 *   5. GET of a sandbox and exec with the PostgreSQL store beside SQLite (see bench/store.ts).
 * Run: npm run bench  (needs the Docker engine, the agent binary and workspace-test:latest).
 * BENCH_RUNS overrides the number of timed runs (default 200 for exec, 50 for create and
 * for each resume row, 15 for start, 200 for the store rows).
 */
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs/promises'
import type Docker from 'dockerode'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import { lifecycleRows } from './lifecycle.js'
import { createRawContainer, docker, dockerExec } from './raw.js'
import { printComparison, timeRuns } from './stats.js'
import { storeRows } from './store.js'
import { warmPoolRows } from './warm-pool.js'

const TEMPLATE = 'workspace-test:latest'
const execRuns = Number(process.env.BENCH_RUNS ?? 200)
const createRuns = Number(process.env.BENCH_RUNS ?? 50)
const resumeRuns = Number(process.env.BENCH_RUNS ?? 50)
const startRuns = Number(process.env.BENCH_RUNS ?? 15)
const storeRuns = Number(process.env.BENCH_RUNS ?? 200)
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

function request(
  base: URL,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path: route,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
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

async function main(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-'))
  const config = loadConfig({
    ...process.env,
    WM_DATA_DIR: dataDir,
    WORKSPACE_DEFAULT_IMAGE: TEMPLATE,
    // NFS is not measured here; off, so a server already serving on 12049 is no obstacle.
    WM_NFS_ENABLED: 'false',
  })
  const app = await buildApp(config, { logger: pino({ level: 'warn' }) })
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  console.log(
    `host: ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  )
  try {
    const workspace = JSON.parse((await request(base, 'POST', '/v1/workspaces', {})).text)
    const sandbox = JSON.parse(
      (await request(base, 'POST', '/v1/sandboxes', { workspace_id: workspace.id })).text,
    )

    const ours = await timeRuns(execRuns, 20, async () => {
      const reply = await request(base, 'POST', `/v1/sandboxes/${sandbox.id}/processes`, {
        cmd: 'echo',
        args: ['hi'],
      })
      if (reply.status !== 200 || !reply.text.includes('"stdout":"hi\\n"'))
        throw new Error(reply.text)
    })
    const container = docker.getContainer(`${config.sandboxDefaults.containerPrefix}${sandbox.id}`)
    const theirs = await timeRuns(execRuns, 20, () => dockerExec(container, ['echo', 'hi']))
    printComparison('exec `echo hi` in a running sandbox', ours, theirs, 'dockerode exec')
    await request(base, 'DELETE', `/v1/sandboxes/${sandbox.id}?force=true`)

    const ourIds: string[] = []
    const oursCreate = await timeRuns(createRuns, 2, async () => {
      const reply = await request(base, 'POST', '/v1/sandboxes', { workspace_id: workspace.id })
      const created = JSON.parse(reply.text)
      if (created.state !== 'running') throw new Error(reply.text)
      ourIds.push(created.id)
    })
    for (const id of ourIds) await request(base, 'DELETE', `/v1/sandboxes/${id}?force=true`)
    const rawIds: string[] = []
    const rawRunDir = await fs.mkdtemp(path.join(dataDir, 'raw-run-'))
    // The very container configuration ours uses, with `sleep` in place of the agent:
    // the raw engine cost of the same sandbox.
    const rawContainer = (name: string): Promise<Docker.Container> =>
      createRawContainer(config, name, workspace.id, rawRunDir, TEMPLATE)
    const rawCreate = await timeRuns(createRuns, 2, async () => {
      const created = await rawContainer(`wm-bench-raw-${rawIds.length}-${process.pid}`)
      await created.start()
      rawIds.push(created.id)
    })
    await Promise.all(rawIds.map((id) => docker.getContainer(id).remove({ force: true })))
    printComparison(
      'sandbox create -> running (ours: until the agent answers)',
      oursCreate,
      rawCreate,
      'dockerode create + start (same config)',
    )
    // A server of its own, with a warm pool, beside this one.
    await warmPoolRows({ runs: createRuns, template: TEMPLATE })

    await lifecycleRows({
      request: (method, route, body) => request(base, method, route, body),
      workspaceId: workspace.id,
      rawContainer,
      resumeRuns,
      startRuns,
    })
    await request(base, 'DELETE', `/v1/workspaces/${workspace.id}`)
  } finally {
    agent.destroy()
    await app.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  }
  // Apps of their own (one per store), built once the one above is closed.
  await storeRows({ runs: storeRuns, warmup: 20, template: TEMPLATE })
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
