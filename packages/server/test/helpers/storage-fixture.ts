import type { FileInfo } from '@workspace-manager/protocol'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { ApiError } from '../../src/errors.js'
import { WorkspaceFiles } from '../../src/storage/index.js'

/** Content of the canary file outside the workspace; it must never come back from the API. */
export const CANARY = 'canary: outside the workspace, must never be read\n'

/** A data dir with one workspace `ws1`, and a canary directory beside it (outside every workspace). */
export interface StorageFixture {
  tmp: string
  /** Data dir (WorkspaceFiles root). */
  root: string
  /** Host path of workspace ws1. */
  ws: string
  /** Canary directory outside the workspace, holding `file` = CANARY. */
  outside: string
  files: WorkspaceFiles
  /** Writes `content` at `path` in ws1, creating parents. */
  put(path: string, content: string): Promise<FileInfo>
  /** Reads `path` of ws1 as UTF-8. */
  get(path: string): Promise<string>
  cleanup(): Promise<void>
}

/** Sets up a fresh fixture in a temp dir. */
export async function storageFixture(maxTransferBytes = 1024 * 1024): Promise<StorageFixture> {
  const tmp = await fs.mkdtemp(join(tmpdir(), 'wm-storage-'))
  const root = join(tmp, 'data')
  const outside = join(tmp, 'outside')
  await fs.mkdir(outside)
  await fs.writeFile(join(outside, 'file'), CANARY)
  const files = new WorkspaceFiles({ root, maxTransferBytes })
  await files.create('ws1')
  return {
    tmp,
    root,
    ws: join(root, 'ws1'),
    outside,
    files,
    put: (path, content) => files.write('ws1', path, body(content), { parents: true }),
    get: async (path) => (await readAll((await files.openRead('ws1', path)).stream)).toString(),
    cleanup: () => fs.rm(tmp, { recursive: true, force: true }),
  }
}

/** Asserts `p` rejects with an ApiError of numeric `code`, returning it. */
export async function rejectsCode(p: Promise<unknown>, code: number): Promise<ApiError> {
  try {
    await p
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, `expected code ${code}, got ${err.code} (${err.message})`)
    return err
  }
  assert.fail(`expected ApiError ${code}, but it resolved`)
}

/** A body stream yielding `chunks`. */
export function body(...chunks: (string | Buffer)[]): Readable {
  return Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)))
}

/**
 * A body stream that yields some bytes (fewer than the fixture's smallest
 * transfer limit) and then fails, as an aborted upload does.
 */
export function failingBody(): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent++ < 3) this.push(Buffer.alloc(300, 'x'))
      else this.destroy(new Error('client went away'))
    },
  })
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array))
  return Buffer.concat(chunks)
}

/** Names, contents and mtimes of everything directly in `dir`, to prove it untouched. */
export async function snapshotDir(dir: string): Promise<string> {
  const names = (await fs.readdir(dir)).sort()
  const rows = [`dir mtime ${(await fs.stat(dir)).mtimeMs}`]
  for (const n of names) {
    const st = await fs.lstat(join(dir, n))
    const content = st.isFile() ? await fs.readFile(join(dir, n), 'utf8') : ''
    rows.push(`${n} ${st.mtimeMs} ${st.size} ${JSON.stringify(content)}`)
  }
  return rows.join('\n')
}

/** Number of descriptors this process has open. */
export async function openFds(): Promise<number> {
  return (await fs.readdir('/proc/self/fd')).length
}
