/**
 * File transfer: one file of `bytes` uploaded through PUT files/content with
 * `curl -T` and downloaded through GET with `curl -o` into a file on the same
 * disk, as a user would (the client is a process of its own, not this one's
 * event loop, which serves), beside `cp` of the same file on the same disk.
 * Our upload fsyncs before it renames into place, so its like-for-like
 * baseline is `cp` + `sync` of the copy; `curl -o` does not fsync what it
 * writes, so the download's is `cp` alone, and the download followed by a
 * `sync` of its file is against `cp` + `sync`. Each side writes a new file: the
 * copy and the uploaded file are both removed (untimed) before each run, so
 * neither pays for freeing the previous one. The memory of the serving
 * process (this one) is sampled meanwhile.
 */
import path from 'node:path'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Requester } from './http.js'
import { rateFields, secondsRow } from './streaming.js'
import type { BenchTable } from './table.js'

const run = promisify(execFile)

/** What the transfer rows need. */
export interface TransferBench {
  base: URL
  /** JSON requests to the same server (removing the uploaded file between runs). */
  request: Requester
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

/** Runs `curl` with `args` and the URL `url`, and returns the HTTP status it got. */
async function curl(args: string[], url: string): Promise<number> {
  const { stdout } = await run('curl', ['-sS', '-w', '%{http_code}', ...args, url])
  return Number(stdout.trim().slice(-3))
}

/**
 * Times upload, download (with and without a sync of what curl wrote), cp
 * and cp + sync, in a rotating order, and records four rows.
 */
export async function transferRows(bench: TransferBench): Promise<void> {
  const { base, bytes, dir } = bench
  const source = path.join(dir, 'source.bin')
  const copy = path.join(dir, 'copy.bin')
  const down = path.join(dir, 'download.bin')
  await makeFile(source, bytes)
  const name = 'bench-transfer.bin'
  const route = `/v1/workspaces/${bench.workspaceId}/files/content?path=${name}`
  const times = {
    up: [] as number[],
    down: [] as number[],
    downSync: [] as number[],
    cp: [] as number[],
    sync: [] as number[],
  }
  const url = new URL(route, base).href
  const steps: Array<[keyof typeof times, () => Promise<void>]> = [
    [
      'up',
      async () => {
        const args = [
          '-T',
          source,
          '-H',
          'content-type: application/octet-stream',
          '-o',
          '/dev/null',
        ]
        const status = await curl(args, url)
        if (status !== 201) throw new Error(`upload: ${status}`)
      },
    ],
    [
      'down',
      async () => {
        const status = await curl(['-o', down], url)
        if (status !== 200) throw new Error(`download: ${status}`)
        const { size } = await fs.stat(down)
        if (size !== bytes) throw new Error(`download: ${size} of ${bytes} bytes`)
      },
    ],
    [
      'downSync',
      async () => {
        const status = await curl(['-o', down], url)
        if (status !== 200) throw new Error(`download: ${status}`)
        await run('sync', [down])
      },
    ],
    ['cp', () => run('cp', [source, copy]).then(() => undefined)],
    [
      'sync',
      () =>
        run('sh', ['-c', 'cp "$1" "$2" && sync "$2"', 'sh', source, copy]).then(() => undefined),
    ],
  ]
  // Each step writes a new file: what it wrote last is removed first, untimed.
  const clear = async (key: keyof typeof times) => {
    if (key !== 'up') return fs.rm(key.startsWith('down') ? down : copy, { force: true })
    const reply = await bench.request(
      'DELETE',
      `/v1/workspaces/${bench.workspaceId}/files?path=${name}`,
    )
    if (reply.status !== 204 && reply.status !== 404)
      throw new Error(`delete: ${reply.status} ${reply.text}`)
  }
  const { stdout: fsType } = await run('stat', ['-f', '-c', '%T', dir])
  const rss = () => process.memoryUsage().rss / 2 ** 20
  const rssBefore = rss()
  let rssPeak = rssBefore
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 50)
  try {
    for (let i = 0; i < bench.runs; i++) {
      // Rotate the order, so no step always follows the same one (and its dirty pages).
      for (let k = 0; k < steps.length; k++) {
        const [key, step] = steps[(i + k) % steps.length]!
        await clear(key)
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
  const memory = `serving process RSS ${rssBefore.toFixed(0)} MiB before, ${serverRssMiB.after.toFixed(0)} after, peak ${rssPeak.toFixed(0)}; clients: curl -T / curl -o; filesystem ${fsType.trim()}`
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
  table.add({
    ...secondsRow(
      `download ${mib} MiB (GET files/content) into a file, then sync it`,
      times.downSync,
      times.sync,
    ),
    baselineLabel: 'cp + sync of the copy',
    ...rateFields(bytes, s(times.downSync), s(times.sync)),
  })
}
