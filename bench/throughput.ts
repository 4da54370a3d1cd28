/**
 * Request throughput: autocannon (a child process, so it does not share
 * the server's event loop) with 50 connections on GET /v1/sandboxes/{id}
 * of a running sandbox, beside GET /health of the same server, rounds
 * alternated.
 */
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { BenchTable } from './table.js'

const run = promisify(execFile)
const AUTOCANNON = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'node_modules',
  '.bin',
  'autocannon',
)

/** What the throughput row needs. */
export interface ThroughputBench {
  base: URL
  sandboxId: string
  /** Seconds of each autocannon round. */
  seconds: number
  /** Rounds per route. */
  rounds: number
  table: BenchTable
}

/** The part of autocannon's JSON report read here. */
interface Report {
  requests: { average: number }
  latency: { p50: number; p99: number }
  errors: number
  timeouts: number
  non2xx: number
}

/** One autocannon round on `url`: its report; throws on errors or non-2xx replies. */
async function cannon(url: string, seconds: number): Promise<Report> {
  const { stdout } = await run(AUTOCANNON, ['-c', '50', '-d', String(seconds), '-j', url], {
    maxBuffer: 16 * 2 ** 20,
  })
  const report = JSON.parse(stdout) as Report
  if (report.errors || report.timeouts || report.non2xx)
    throw new Error(
      `${url}: ${report.errors} errors, ${report.timeouts} timeouts, ${report.non2xx} non-2xx`,
    )
  return report
}

/** Runs the rounds and records one row in req/s (mean of the rounds). */
export async function throughputRows(bench: ThroughputBench): Promise<void> {
  const sandbox = new URL(`/v1/sandboxes/${bench.sandboxId}`, bench.base).href
  const health = new URL('/health', bench.base).href
  const ours: Report[] = []
  const theirs: Report[] = []
  for (let i = 0; i < bench.rounds; i++) {
    if (i % 2 === 0) {
      ours.push(await cannon(sandbox, bench.seconds))
      theirs.push(await cannon(health, bench.seconds))
    } else {
      theirs.push(await cannon(health, bench.seconds))
      ours.push(await cannon(sandbox, bench.seconds))
    }
  }
  const mean = (reports: Report[], pick: (r: Report) => number) =>
    reports.reduce((sum, r) => sum + pick(r), 0) / reports.length
  const rate = (reports: Report[]) => mean(reports, (r) => r.requests.average)
  const latency = (reports: Report[]) =>
    `p50 ${mean(reports, (r) => r.latency.p50).toFixed(1)} ms / p99 ${mean(reports, (r) => r.latency.p99).toFixed(1)} ms`
  bench.table.add({
    name: `GET /v1/sandboxes/{id}, autocannon -c 50, ${bench.seconds} s x ${bench.rounds}`,
    unit: 'req/s',
    ours: { value: rate(ours) },
    baseline: { value: rate(theirs) },
    baselineLabel: 'GET /health (same server)',
    runs: bench.rounds,
    note: `latency under load: ours ${latency(ours)}, /health ${latency(theirs)}; autocannon is a child process on the same 2 cores`,
  })
}
