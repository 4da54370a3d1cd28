/**
 * A sandbox swapping a directory for a symlink to the outside, as fast as it
 * can, while the server works on paths through it. Whatever interleaving
 * happens, the canary outside must never be read, written or deleted.
 */
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import { ApiError } from '../src/errors.js'
import {
  CANARY,
  body,
  readAll,
  snapshotDir,
  storageFixture,
  type StorageFixture,
} from './helpers/storage-fixture.js'

const ID = 'ws1'
const RACE_MS = 2500

// Runs in a worker thread, so the swaps happen truly in parallel with the server's syscalls.
const SWAPPER = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const { ws, outside, ms } = workerData
const a = ws + '/a'
const real = ws + '/a-real'
const end = Date.now() + ms
let swaps = 0
while (Date.now() < end) {
  try { fs.renameSync(a, real); fs.symlinkSync(outside, a); swaps++ } catch {}
  try { fs.unlinkSync(a) } catch {}
  try { fs.renameSync(real, a) } catch {}
}
parentPort.postMessage(swaps)
`

let f: StorageFixture
before(async () => {
  f = await storageFixture(1024 * 1024)
})
after(async () => {
  await f.cleanup()
})

it('a directory swapped with a symlink to the outside never lets an operation escape', async (t) => {
  await fs.writeFile(join(f.outside, 'canary-only'), CANARY)
  await fs.mkdir(join(f.ws, 'a'))
  await fs.writeFile(join(f.ws, 'a/file'), 'inside')
  await fs.writeFile(join(f.ws, 'src'), 'from-src')
  const canaryBefore = await snapshotDir(f.outside)
  const files = f.files

  const worker = new Worker(SWAPPER, {
    eval: true,
    workerData: { ws: f.ws, outside: f.outside, ms: RACE_MS },
  })
  const swapsDone = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })

  const outcomes = new Map<string, number>()
  const seen: string[] = []
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
  const attempt = async (op: string, fn: () => Promise<unknown>) => {
    try {
      const result = await fn()
      if (typeof result === 'string') seen.push(result)
      count(`${op} ok`)
    } catch (err) {
      assert.ok(err instanceof ApiError, `${op} failed with a non-API error: ${String(err)}`)
      count(`${op} ${err.code}`)
    }
  }

  const end = Date.now() + RACE_MS
  let round = 0
  while (Date.now() < end) {
    round++
    await Promise.all([
      attempt('read', async () =>
        (await readAll((await files.openRead(ID, 'a/file')).stream)).toString(),
      ),
      attempt('write', () =>
        files.write(ID, 'a/file', body(`inside ${round}`), { parents: false }),
      ),
      attempt('list', async () => (await files.list(ID, 'a')).map((i) => i.name).join(',')),
      attempt('info', async () => JSON.stringify(await files.info(ID, 'a/file'))),
      attempt('copy-out', async () => {
        await files.copy(ID, 'a/file', `copied-${round % 4}`, { overwrite: true })
        return (await readAll((await files.openRead(ID, `copied-${round % 4}`)).stream)).toString()
      }),
      attempt('copy-in', () => files.copy(ID, 'src', 'a/file', { overwrite: true })),
      attempt('copy-dir', async () => {
        await files.remove(ID, 'snap', { recursive: true }).catch(() => undefined)
        await files.copy(ID, 'a', 'snap', { overwrite: false })
        const snap = await files.info(ID, 'snap')
        return snap.type === 'directory'
          ? (await files.list(ID, 'snap')).map((i) => i.name).join(',')
          : ''
      }),
      attempt('mkdir', () => files.mkdir(ID, 'a/sub', { parents: false })),
      attempt('move', () => files.move(ID, 'a/file', 'a/file2', { overwrite: true })),
      attempt('remove-dir', () => files.remove(ID, 'a/sub', { recursive: true })),
      attempt('remove', () => files.remove(ID, 'a/file2', { recursive: false })),
    ])
  }
  const swaps = await swapsDone
  await worker.terminate()

  // The race really ran: the link was in place many times, and operations got through.
  assert.ok(swaps > 50, `only ${swaps} swaps`)
  assert.ok(
    (outcomes.get('read ok') ?? 0) + (outcomes.get('write ok') ?? 0) > 0,
    'nothing got through',
  )
  assert.ok(
    (outcomes.get('read 5006') ?? 0) + (outcomes.get('write 5006') ?? 0) > 0,
    'no symlink seen',
  )

  // Never read: no result contains the canary text or the name only the canary dir has.
  for (const s of seen) {
    assert.ok(!s.includes('canary'), `canary content or name came back: ${s.slice(0, 80)}`)
  }
  // Never written or deleted: same names, contents and mtimes, directory mtime included.
  assert.equal(await snapshotDir(f.outside), canaryBefore)
  assert.equal(await fs.readFile(join(f.outside, 'file'), 'utf8'), CANARY)
  // And nothing was created through the link, temp files included.
  assert.deepEqual((await fs.readdir(f.outside)).sort(), ['canary-only', 'file'])
  t.diagnostic(`swaps ${swaps}, rounds ${round}: ${JSON.stringify(Object.fromEntries(outcomes))}`)
})
