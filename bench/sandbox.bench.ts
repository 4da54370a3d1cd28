/**
 * `npm run bench`: every speed row, ours beside a baseline measured in the
 * same run, in one table (bench/table.ts), also written to bench/results.json:
 *   1. exec `echo hi` back to back: our API vs dockerode exec;
 *   2. exec `echo hi` after the host sat idle ~50 ms, the two alternated;
 *   3. create -> running vs dockerode create + start, cold and from the warm pool;
 *   4. stdout of `yes | head -c 512MiB` read to the end by curl: our SSE and our raw output
 *      vs the `docker exec` CLI;
 *   5. upload and download of 1 GiB through files/content with curl vs cp (and cp + sync);
 *   6. GET /v1/sandboxes/{id} under autocannon -c 50 vs GET /health;
 *   7. pause/resume and stop/start (bench/lifecycle.ts), the PTY keystroke
 *      echo (bench/pty.ts) and checkpoint/restore under gVisor (bench/checkpoint.ts);
 *   8. HTTP(S) GETs and 256 MiB downloads through the egress gateway vs bridge mode
 *      (bench/egress.ts; needs `ip netns`).
 * The store and Kubernetes rows have scripts of their own (bench:store, bench:k8s).
 * Needs the Docker engine, the agent binary, workspace-test:latest and runsc.
 * BENCH_RUNS overrides every row's number of timed runs. BENCH_SMOKE=1 is the
 * quick run of `npm test`: 2-3 runs per row, a few MiB, nothing judged; its
 * JSON goes to a temporary file unless BENCH_RESULTS names one. BENCH_ONLY=
 * stream,upload runs only the groups whose names hold one of the words (its
 * JSON goes to a temporary file too). A row that cannot be measured is
 * FAILED in the table, and the exit status is 1.
 */
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import { checkpointRows } from './checkpoint.js'
import { egressRows } from './egress.js'
import { expectJson, jsonClient } from './http.js'
import { lifecycleRows } from './lifecycle.js'
import { ptyRows } from './pty.js'
import { createRawContainer, docker, dockerExec } from './raw.js'
import { timeAlternately, timeRuns } from './stats.js'
import { streamingRows } from './streaming.js'
import { BenchTable, SMOKE, runsOf } from './table.js'
import { throughputRows } from './throughput.js'
import { transferRows } from './transfer.js'
import { warmPoolRows } from './warm-pool.js'

const TEMPLATE = 'workspace-test:latest'
const MiB = 2 ** 20
const table = new BenchTable()

/** The rows served by one server of this process, sharing its sandbox and workspace. */
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
  const { request, close } = jsonClient(base)
  const warmup = SMOKE ? 1 : 20
  try {
    const workspace = expectJson<{ id: string }>(
      await request('POST', '/v1/workspaces', {}),
      201,
      'workspace',
    )
    const sandbox = expectJson<{ id: string }>(
      await request('POST', '/v1/sandboxes', { workspace_id: workspace.id }),
      201,
      'sandbox',
    )
    const container = docker.getContainer(`${config.sandboxDefaults.containerPrefix}${sandbox.id}`)
    const echo = async () => {
      const reply = await request('POST', `/v1/sandboxes/${sandbox.id}/processes`, {
        cmd: 'echo',
        args: ['hi'],
      })
      if (reply.status !== 200 || !reply.text.includes('"stdout":"hi\\n"'))
        throw new Error(reply.text)
    }
    const rawEcho = () => dockerExec(container, ['echo', 'hi'])

    await table.run('exec `echo hi`, back to back', async () => {
      const runs = runsOf(200, 3)
      const ours = await timeRuns(runs, warmup, echo)
      const theirs = await timeRuns(runs, warmup, rawEcho)
      table.latency('exec `echo hi`, back to back', ours, theirs, 'dockerode exec')
    })
    await table.run('exec `echo hi` after ~50 ms idle', async () => {
      // A deliberate idle period before each timed call (untimed): a call that
      // does not follow another one at once, as most interactive calls.
      const [ours, theirs] = await timeAlternately(runsOf(100, 3), warmup, echo, rawEcho, 50)
      table.latency('exec `echo hi` after ~50 ms idle, alternated', ours, theirs, 'dockerode exec')
    })
    await table.run('stream stdout of `yes | head -c N`', () =>
      streamingRows({
        base,
        sandboxId: sandbox.id,
        container,
        bytes: (SMOKE ? 4 : 512) * MiB,
        runs: runsOf(3, 2),
        table,
      }),
    )
    await table.run('GET /v1/sandboxes/{id} under autocannon', () =>
      throughputRows({
        base,
        sandboxId: sandbox.id,
        seconds: SMOKE ? 1 : 5,
        rounds: SMOKE ? 1 : 2,
        table,
      }),
    )
    await request('DELETE', `/v1/sandboxes/${sandbox.id}?force=true`)

    const rawRunDir = await fs.mkdtemp(path.join(dataDir, 'raw-run-'))
    // The very container configuration ours uses, with `sleep` in place of the agent:
    // the raw engine cost of the same sandbox.
    const rawContainer = (name: string): Promise<Docker.Container> =>
      createRawContainer(config, name, workspace.id, rawRunDir, TEMPLATE)
    const createRuns = runsOf(50, 2)
    await table.run('create -> running', async () => {
      const ourIds: string[] = []
      const rawIds: string[] = []
      try {
        const ours = await timeRuns(createRuns, SMOKE ? 1 : 2, async () => {
          const reply = await request('POST', '/v1/sandboxes', { workspace_id: workspace.id })
          const created = JSON.parse(reply.text) as { id: string; state: string }
          if (created.state !== 'running') throw new Error(reply.text)
          ourIds.push(created.id)
        })
        for (const id of ourIds.splice(0)) await request('DELETE', `/v1/sandboxes/${id}?force=true`)
        const theirs = await timeRuns(createRuns, SMOKE ? 1 : 2, async () => {
          const created = await rawContainer(`wm-bench-raw-${rawIds.length}-${process.pid}`)
          rawIds.push(created.id)
          await created.start()
        })
        table.latency(
          'create -> running (until the agent answers)',
          ours,
          theirs,
          'dockerode create + start (same config)',
        )
      } finally {
        for (const id of ourIds) await request('DELETE', `/v1/sandboxes/${id}?force=true`)
        await Promise.all(
          rawIds.map((id) =>
            docker
              .getContainer(id)
              .remove({ force: true })
              .catch(() => undefined),
          ),
        )
      }
    })
    // A server of its own, with a warm pool, beside this one.
    await table.run('create -> running from the warm pool', () =>
      warmPoolRows({ runs: createRuns, template: TEMPLATE, table }),
    )
    await table.run('upload and download through files/content', async () =>
      transferRows({
        base,
        request,
        workspaceId: workspace.id,
        dir: await fs.mkdtemp(path.join(dataDir, 'transfer-')),
        bytes: (SMOKE ? 4 : 1024) * MiB,
        runs: runsOf(3, 2),
        table,
      }),
    )
    await table.run('pause/resume and stop/start', () =>
      lifecycleRows({
        request,
        workspaceId: workspace.id,
        rawContainer,
        resumeRuns: runsOf(50, 2),
        startRuns: runsOf(15, 2),
        table,
      }),
    )
    await request('DELETE', `/v1/workspaces/${workspace.id}`)
  } finally {
    close()
    await app.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  }
}

try {
  await main()
} catch (error) {
  table.fail('setting up the benchmark server', error)
}
// Servers of their own, built once the one above is closed (or failed to start).
await table.run('keystroke echo round trip (PTY)', () => ptyRows({ runs: runsOf(200, 3), table }))
await table.run('checkpoint and restore under gVisor', () =>
  checkpointRows({ runs: runsOf(10, 2), table }),
)
await table.run('egress gateway: HTTP GET and download', () =>
  egressRows({
    template: TEMPLATE,
    requests: runsOf(300, 6),
    rounds: SMOKE ? 2 : 6,
    bytes: (SMOKE ? 4 : 256) * MiB,
    downloads: runsOf(5, 2),
    table,
  }),
)
table.print(`npm run bench${SMOKE ? ' (BENCH_SMOKE=1: a smoke run, figures mean nothing)' : ''}`, [
  'ours = the workspace-manager API on 127.0.0.1; baseline = measured in the same run;',
  'ratio = ours against the baseline on the p50 (or the value), "faster"/"slower" by the unit.',
  'Rows of their own, same table format: npm run bench:store (PostgreSQL store vs SQLite),',
  'bash scripts/k8s/in-node.sh npm run bench:k8s (Kubernetes runtime vs Docker).',
])
const results =
  process.env.BENCH_RESULTS ||
  (SMOKE || process.env.BENCH_ONLY
    ? path.join(os.tmpdir(), `wm-bench-partial-${process.pid}.json`)
    : path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.json'))
await table.write(results)
process.exitCode = table.failures > 0 || table.rows.length === 0 ? 1 : 0
