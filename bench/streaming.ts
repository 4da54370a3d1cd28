/**
 * Output streaming: `yes | head -c N` in a running sandbox, its stdout read
 * to the end, ours beside the engine's exec stream, timed alternately:
 *   ours: POST /v1/sandboxes/{id}/processes with Accept: text/event-stream
 *         (stdout relayed from the agent as SSE events), read by a plain
 *         node:http client;
 *   raw:  dockerode exec of the same command, its attached stream read to the end.
 */
import http from 'node:http'
import type Docker from 'dockerode'
import { summarize, timeAlternately } from './stats.js'
import type { BenchTable, Row } from './table.js'

/** What the streaming row needs. */
export interface StreamingBench {
  base: URL
  sandboxId: string
  /** The sandbox's container, for the engine's side. */
  container: Docker.Container
  /** Bytes of `y\n` the command writes. */
  bytes: number
  runs: number
  table: BenchTable
}

/** Runs the command through our SSE route and reads every event; throws unless it exited 0. */
function oursOnce(base: URL, sandboxId: string, command: string): Promise<number> {
  const payload = JSON.stringify({ cmd: 'sh', args: ['-c', command] })
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path: `/v1/sandboxes/${sandboxId}/processes`,
        headers: {
          accept: 'text/event-stream',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let received = 0
        let tail = ''
        res.on('data', (chunk: Buffer) => {
          received += chunk.length
          tail = (tail + chunk.toString('latin1')).slice(-512)
        })
        res.on('end', () => {
          // The last event is the exit; code 0 means head wrote every byte.
          if (res.statusCode !== 200 || !/event: exit\ndata: \{"code":0/.test(tail))
            reject(new Error(`SSE stream ended without exit 0: ${res.statusCode} ${tail}`))
          else resolve(received)
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/** Runs the command through the engine's exec and reads its stream to the end. */
async function rawOnce(container: Docker.Container, command: string): Promise<void> {
  const exec = await container.exec({
    Cmd: ['sh', '-c', command],
    AttachStdout: true,
    AttachStderr: true,
  })
  const stream = await exec.start({ hijack: true, stdin: false })
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('error', reject)
    stream.resume()
  })
  const info = await exec.inspect()
  if (info.ExitCode !== 0) throw new Error(`docker exec ${command}: exit ${info.ExitCode}`)
}

/** Times both sides and records one row in seconds, with MB/s beside it. */
export async function streamingRows(bench: StreamingBench): Promise<void> {
  const command = `yes | head -c ${bench.bytes}`
  let sseBytes = 0
  const [ours, raw] = await timeAlternately(
    bench.runs,
    1,
    async () => {
      sseBytes = await oursOnce(bench.base, bench.sandboxId, command)
    },
    () => rawOnce(bench.container, command),
  )
  const mib = bench.bytes / 2 ** 20
  const seconds = (ms: number[]) => ms.map((x) => x / 1000)
  const { rateMBps, note } = rateFields(bench.bytes, seconds(ours), seconds(raw))
  bench.table.add({
    ...secondsRow(`stream stdout of \`yes | head -c ${mib}MiB\` to the end`, ours, raw),
    baselineLabel: 'dockerode exec stream (same cmd)',
    rateMBps,
    note: `${note}; ours over SSE, ${(sseBytes / 2 ** 20).toFixed(0)} MiB on the wire`,
  })
}

/** The fields of a row of durations given in ms, shown in seconds. */
export function secondsRow(name: string, oursMs: number[], rawMs: number[]): Row {
  const pick = (ms: number[]) => {
    const { p50, p95 } = summarize(ms)
    return { p50: p50 / 1000, p95: p95 / 1000 }
  }
  return {
    name,
    unit: 's',
    ours: pick(oursMs),
    baseline: pick(rawMs),
    runs: Math.min(oursMs.length, rawMs.length),
  }
}

/**
 * The row fields of `bytes` moved in the given seconds: MB/s at each side's
 * p50, and a note saying them.
 */
export function rateFields(
  bytes: number,
  ours: number[],
  raw: number[],
): { rateMBps: { ours: number; baseline: number }; note: string } {
  const rate = (s: number[]) => bytes / 1e6 / summarize(s).p50
  const r = { ours: rate(ours), baseline: rate(raw) }
  return {
    rateMBps: r,
    note: `MB/s at p50: ours ${r.ours.toFixed(1)}, baseline ${r.baseline.toFixed(1)}`,
  }
}
