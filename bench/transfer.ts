/**
 * File transfer: one file of `bytes` uploaded through PUT files/content and
 * downloaded through GET (into a file on the same disk), beside `cp` of the
 * same file on the same disk and `cp` + `sync` of the copy (our upload
 * fsyncs before it renames into place, so that is the like-for-like one).
 * The memory of the serving process is sampled meanwhile.
 */
import http from 'node:http'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { rateFields, secondsRow } from './streaming.js'
import type { BenchTable } from './table.js'

const run = promisify(execFile)

/** What the transfer rows need. */
export interface TransferBench {
  base: URL
  workspaceId: string
  /** A directory on the disk the server keeps workspaces on. */
  dir: string
  bytes: number
  runs: number
  table: BenchTable
}

/** Writes `bytes` of incompressible data (a random MiB repeated) to `file`. */
async function makeFile(file: string, bytes: number): Promise<void> {
  const chunk = randomBytes(2 ** 20)
  const handle = await fs.open(file, 'w')
  try {
    for (let left = bytes; left > 0; left -= chunk.length)
      await handle.write(chunk, 0, Math.min(left, chunk.length))
  } finally {
    await handle.close()
  }
}

/** One request whose body is `source` (when given) and whose reply goes to `sink`. */
function transfer(
  base: URL,
  method: 'PUT' | 'GET',
  route: string,
  source?: { file: string; size: number },
  sink?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path: route,
        headers: source
          ? { 'content-type': 'application/octet-stream', 'content-length': source.size }
          : {},
      },
      (res) => {
        const status = res.statusCode ?? 0
        const done = sink
          ? pipeline(res, createWriteStream(sink))
          : new Promise<void>((ok) => res.resume().on('end', ok))
        done.then(() => resolve(status), reject)
      },
    )
    req.on('error', reject)
    if (source) createReadStream(source.file).on('error', reject).pipe(req)
    else req.end()
  })
}

/** Times upload, download, cp and cp + sync, in a rotating order, and records three rows. */
export async function transferRows(bench: TransferBench): Promise<void> {
  const { base, bytes, dir } = bench
  const source = path.join(dir, 'source.bin')
  const copy = path.join(dir, 'copy.bin')
  const down = path.join(dir, 'download.bin')
  await makeFile(source, bytes)
  const route = `/v1/workspaces/${bench.workspaceId}/files/content?path=bench-transfer.bin`
  const times = {
    up: [] as number[],
    down: [] as number[],
    cp: [] as number[],
    sync: [] as number[],
  }
  const steps: Array<[keyof typeof times, () => Promise<void>]> = [
    [
      'up',
      async () => {
        const status = await transfer(base, 'PUT', route, { file: source, size: bytes })
        if (status !== 201) throw new Error(`upload: ${status}`)
      },
    ],
    [
      'down',
      async () => {
        const status = await transfer(base, 'GET', route, undefined, down)
        if (status !== 200) throw new Error(`download: ${status}`)
        const { size } = await fs.stat(down)
        if (size !== bytes) throw new Error(`download: ${size} of ${bytes} bytes`)
      },
    ],
    ['cp', () => run('cp', [source, copy]).then(() => undefined)],
    [
      'sync',
      () =>
        run('sh', ['-c', 'cp "$1" "$2" && sync "$2"', 'sh', source, copy]).then(() => undefined),
    ],
  ]
  const rss = () => process.memoryUsage().rss / 2 ** 20
  const rssBefore = rss()
  let rssPeak = rssBefore
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 50)
  try {
    for (let i = 0; i < bench.runs; i++) {
      // Rotate the order, so no step always follows the same one (and its dirty pages).
      for (let k = 0; k < steps.length; k++) {
        const [key, step] = steps[(i + k) % steps.length]!
        await fs.rm(key === 'down' ? down : copy, { force: true })
        const started = process.hrtime.bigint()
        await step()
        times[key].push(Number(process.hrtime.bigint() - started) / 1e6)
      }
    }
  } finally {
    clearInterval(sampler)
    await fs.rm(dir, { recursive: true, force: true })
  }
  const serverRssMiB = { before: rssBefore, after: rss(), peak: rssPeak }
  const memory = `serving process RSS ${rssBefore.toFixed(0)} MiB before, ${serverRssMiB.after.toFixed(0)} after, peak ${rssPeak.toFixed(0)} (server and client share the process)`
  const mib = (bytes / 2 ** 20).toFixed(0)
  const s = (ms: number[]) => ms.map((x) => x / 1000)
  const { table } = bench
  const withMemory = <T extends { note: string }>(fields: T, more: string): T => ({
    ...fields,
    note: `${fields.note}; ${more}`,
  })
  table.add({
    ...secondsRow(`upload ${mib} MiB (PUT files/content)`, times.up, times.cp),
    baselineLabel: 'cp on the same disk',
    ...withMemory(rateFields(bytes, s(times.up), s(times.cp)), memory),
    serverRssMiB,
  })
  table.add({
    ...secondsRow(`upload ${mib} MiB (PUT files/content, fsynced)`, times.up, times.sync),
    baselineLabel: 'cp + sync of the copy',
    ...rateFields(bytes, s(times.up), s(times.sync)),
  })
  table.add({
    ...secondsRow(`download ${mib} MiB (GET files/content) into a file`, times.down, times.cp),
    baselineLabel: 'cp on the same disk',
    ...rateFields(bytes, s(times.down), s(times.cp)),
  })
}
