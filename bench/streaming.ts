/**
 * Output streaming: `yes | head -c N` in a running sandbox, its stdout read
 * to the end by a client in a process of its own writing to /dev/null, as a
 * user would; ours beside the engine's exec of the same command, the three
 * timed in turn (the order rotating each round):
 *   SSE: `curl -sN` POST /v1/sandboxes/{id}/processes with Accept:
 *        text/event-stream (stdout relayed from the agent as SSE events);
 *        complete when curl saw the chunked body's end and at least the 1.5 N
 *        bytes that N bytes of `y\n` take escaped in JSON (framing adds more);
 *   raw: `curl -sN` of the same with Accept: application/octet-stream (the
 *        stdout bytes as they are); complete when exactly N bytes came and
 *        the trailer x-exit-code is 0;
 *   baseline: the `docker exec` CLI of the same command; complete when it
 *        exits 0 (the command's code, after its stream ended).
 */
import { execFile } from 'node:child_process'
import type Docker from 'dockerode'
import { summarize } from './stats.js'
import type { BenchTable, Row } from './table.js'

/** What the streaming rows need. */
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

/** Runs a program to its end; resolves its stdout, rejects on a non-zero exit. */
function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message} ${stderr}`))
      else resolve(stdout)
    })
  })
}

/** curl arguments POSTing a run of `command` with `accept`, the body to /dev/null. */
function curlArgs(bench: StreamingBench, command: string, accept: string): string[] {
  const url = new URL(`/v1/sandboxes/${bench.sandboxId}/processes`, bench.base)
  return [
    '-sSN',
    '--fail',
    '-o',
    '/dev/null',
    '-H',
    `accept: ${accept}`,
    '-H',
    'content-type: application/json',
    '--data-binary',
    JSON.stringify({ cmd: 'sh', args: ['-c', command] }),
    url.href,
  ]
}

/** The SSE side: resolves the bytes on the wire. */
async function sseOnce(bench: StreamingBench, command: string): Promise<number> {
  const args = ['-w', '%{size_download}', ...curlArgs(bench, command, 'text/event-stream')]
  const size = Number(await run('curl', args))
  if (!(size >= bench.bytes * 1.5)) throw new Error(`SSE stream ended after ${size} bytes`)
  return size
}

/** The raw side: exactly `bytes` and exit code 0 in the trailers. */
async function rawOnce(bench: StreamingBench, command: string): Promise<void> {
  // -D - prints the head and, after the body, the trailers.
  const args = ['-D', '-', '-w', 'size=%{size_download}\n']
  const out = await run('curl', [...args, ...curlArgs(bench, command, 'application/octet-stream')])
  if (!out.includes(`size=${bench.bytes}\n`) || !/^x-exit-code: 0\r?$/im.test(out))
    throw new Error(`raw output incomplete: ${out}`)
}

/** The baseline: the docker CLI's exec, its output to /dev/null. */
async function dockerOnce(bench: StreamingBench, command: string): Promise<void> {
  await run('sh', ['-c', `docker exec ${bench.container.id} sh -c '${command}' > /dev/null`])
}

/** Times the three sides in turn, the order rotating; returns ms per side. */
async function timeInTurn(runs: number, sides: Array<() => Promise<unknown>>): Promise<number[][]> {
  for (const side of sides) await side() // warm-up
  const samples: number[][] = sides.map(() => [])
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < sides.length; k++) {
      const j = (i + k) % sides.length
      const started = process.hrtime.bigint()
      await sides[j]!()
      samples[j]!.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
  }
  return samples
}

/** Times the three sides and records the SSE row and the raw output row, in seconds. */
export async function streamingRows(bench: StreamingBench): Promise<void> {
  const command = `yes | head -c ${bench.bytes}`
  let sseBytes = 0
  const [sse, raw, docker] = await timeInTurn(bench.runs, [
    async () => {
      sseBytes = await sseOnce(bench, command)
    },
    () => rawOnce(bench, command),
    () => dockerOnce(bench, command),
  ])
  const mib = bench.bytes / 2 ** 20
  const seconds = (ms: number[]) => ms.map((x) => x / 1000)
  const baselineLabel = '`docker exec` CLI (same cmd, > /dev/null)'
  const sseRate = rateFields(bench.bytes, seconds(sse!), seconds(docker!))
  bench.table.add({
    ...secondsRow(
      `stream stdout of \`yes | head -c ${mib}MiB\` over SSE (curl -sN)`,
      sse!,
      docker!,
    ),
    baselineLabel,
    rateMBps: sseRate.rateMBps,
    note: `${sseRate.note}; ${(sseBytes / 2 ** 20).toFixed(0)} MiB on the wire`,
  })
  const rawRate = rateFields(bench.bytes, seconds(raw!), seconds(docker!))
  bench.table.add({
    ...secondsRow(
      `stream stdout of \`yes | head -c ${mib}MiB\` raw (Accept: application/octet-stream, curl -sN)`,
      raw!,
      docker!,
    ),
    baselineLabel,
    rateMBps: rawRate.rateMBps,
    note: rawRate.note,
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
