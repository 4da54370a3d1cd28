import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createReadStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { FileNotFoundError, type Workspace } from '../src/index.js'
import { liveClient, skipLive } from './support/live.js'

const TWENTY_MB = 20 * 1024 * 1024
const CHUNK = 256 * 1024

/** 20 MB of deterministic bytes, generated chunk by chunk (never held whole). */
async function* twentyMegabytes(): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < TWENTY_MB; offset += CHUNK) {
    const chunk = Buffer.alloc(CHUNK)
    for (let i = 0; i < CHUNK; i += 4) chunk.writeUInt32LE(((offset + i) * 2654435761) >>> 0, i)
    yield chunk
  }
}

async function sha256Of(source: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of source) hash.update(chunk as Uint8Array)
  return hash.digest('hex')
}

describe('live: streamed transfers', { skip: skipLive }, () => {
  const client = liveClient()
  let ws: Workspace
  let dir: string

  before(async () => {
    ws = await client.workspace.create({ name: 'sdk-live-transfers' })
    dir = mkdtempSync(join(tmpdir(), 'wm-live-'))
  })
  after(async () => {
    await client.workspace.delete(ws.id)
    client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('20 MB streamed up and down keeps its checksum', async () => {
    const expected = await sha256Of(twentyMegabytes())
    const info = await client.workspace.writeFile(ws.id, 'big/20mb.bin', twentyMegabytes())
    assert.equal(info.size, TWENTY_MB)

    const stream = await client.workspace.readFileStream(ws.id, 'big/20mb.bin')
    assert.equal(await sha256Of(stream), expected)

    const local = join(dir, '20mb.bin')
    assert.equal(await client.workspace.downloadFile(ws.id, 'big/20mb.bin', local), TWENTY_MB)
    assert.equal(await sha256Of(createReadStream(local)), expected)
  })

  test('uploadFile and downloadFile round trip a local file', async () => {
    const local = join(dir, 'up.txt')
    writeFileSync(local, 'uploaded from disk\n')
    const info = await client.workspace.uploadFile(ws.id, 'up/up.txt', local)
    assert.equal(info.size, 19)
    const back = join(dir, 'down.txt')
    await client.workspace.downloadFile(ws.id, 'up/up.txt', back)
    assert.equal(await sha256Of(createReadStream(back)), await sha256Of(createReadStream(local)))
  })

  test('downloading a missing file creates nothing locally', async () => {
    const target = join(dir, 'never.txt')
    await assert.rejects(client.workspace.downloadFile(ws.id, 'missing', target), FileNotFoundError)
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.includes('never')),
      [],
    )
  })
})
