import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, beforeEach, describe, test } from 'node:test'
import { WorkspaceClient, WorkspaceError } from '../src/index.js'
import { replyJson, startTestServer, wireFileInfo, type TestServer } from './support/test-server.js'

const CAP = 1024
let server: TestServer
let client: WorkspaceClient
let download: { body: Buffer; declareLength: boolean } = {
  body: Buffer.alloc(0),
  declareLength: true,
}
let dir: string

before(async () => {
  server = await startTestServer((request, response) => {
    if (request.method === 'PUT')
      return replyJson(response, 201, wireFileInfo('f', request.body.length))
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' }
    if (download.declareLength) headers['content-length'] = download.body.length
    response.writeHead(200, headers)
    // Chunked in pieces so the client sees several chunks.
    for (let i = 0; i < download.body.length; i += 256)
      response.write(download.body.subarray(i, i + 256))
    response.end()
  })
  client = new WorkspaceClient({ apiUrl: server.url, maxFileTransferBytes: CAP, env: {} })
  dir = mkdtempSync(join(tmpdir(), 'wm-caps-'))
})

beforeEach(() => {
  server.requests.length = 0
})

after(async () => {
  client.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function isTooLarge(error: unknown): boolean {
  assert.ok(error instanceof WorkspaceError, String(error))
  assert.equal(error.code, 1004)
  assert.match(error.message, /exceeds the transfer cap of 1024 bytes/)
  return true
}

describe('uploads over maxFileTransferBytes', () => {
  test('text and bytes over the cap are refused before anything is sent', async () => {
    await assert.rejects(client.workspace.writeFile('ws', 'f', 'x'.repeat(CAP + 1)), isTooLarge)
    await assert.rejects(client.workspace.writeFile('ws', 'f', new Uint8Array(CAP + 1)), isTooLarge)
    assert.equal(server.requests.length, 0)
  })

  test('content exactly at the cap is sent', async () => {
    const info = await client.workspace.writeFile('ws', 'f', new Uint8Array(CAP))
    assert.equal(info.size, CAP)
  })

  test('a stream is cut off as soon as it passes the cap', async () => {
    let produced = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        produced += 100
        yield new Uint8Array(100)
      }
    }
    await assert.rejects(client.workspace.writeFile('ws', 'f', endless()), isTooLarge)
    await assert.rejects(
      client.workspace.writeFile('ws', 'f', Readable.from([Buffer.alloc(600), Buffer.alloc(600)])),
      isTooLarge,
    )
    assert.ok(produced < 100 * 40, `stopped reading the source early (${produced} bytes)`)
    assert.equal(server.requests.length, 0, 'the server never saw a complete upload')
  })

  test('a local file over the cap is refused before sending', async () => {
    const big = join(dir, 'big.bin')
    writeFileSync(big, Buffer.alloc(CAP + 1))
    await assert.rejects(client.workspace.uploadFile('ws', 'f', big), isTooLarge)
    assert.equal(server.requests.length, 0)
  })
})

describe('downloads over maxFileTransferBytes', () => {
  for (const declareLength of [true, false]) {
    const how = declareLength ? 'declared by Content-Length' : 'streamed without a length'
    test(`readFile and readFileBytes fail (${how})`, async () => {
      download = { body: Buffer.alloc(CAP + 1), declareLength }
      await assert.rejects(client.workspace.readFile('ws', 'f'), isTooLarge)
      await assert.rejects(client.workspace.readFileBytes('ws', 'f'), isTooLarge)
    })

    test(`readFileStream errors (${how})`, async () => {
      download = { body: Buffer.alloc(CAP * 4), declareLength }
      const read = async () => {
        const stream = await client.workspace.readFileStream('ws', 'f')
        let total = 0
        for await (const chunk of stream) total += (chunk as Buffer).length
        return total
      }
      await assert.rejects(read(), isTooLarge)
    })

    test(`downloadFile leaves nothing behind (${how})`, async () => {
      download = { body: Buffer.alloc(CAP + 1), declareLength }
      const target = join(dir, `out-${declareLength}.bin`)
      await assert.rejects(client.workspace.downloadFile('ws', 'f', target), isTooLarge)
      assert.equal(existsSync(target), false)
      assert.deepEqual(
        readdirSync(dir).filter((name) => name.includes('out-')),
        [],
      )
    })
  }

  test('a file exactly at the cap downloads', async () => {
    download = { body: Buffer.alloc(CAP, 7), declareLength: false }
    assert.equal((await client.workspace.readFileBytes('ws', 'f')).length, CAP)
  })
})
