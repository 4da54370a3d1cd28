import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { WorkspaceClient, WorkspaceError } from '../src/index.js'
import { replyJson, startTestServer, wireFileInfo, type TestServer } from './support/test-server.js'

const FIVE_MB = 5 * 1024 * 1024
let dir: string

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wm-stream-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Deterministic pseudo-random bytes. */
function patterned(size: number): Buffer {
  const out = Buffer.alloc(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff
  return out
}

async function withServer(
  handler: Parameters<typeof startTestServer>[0],
  run: (client: WorkspaceClient, server: TestServer) => Promise<void>,
  options: { fileTimeoutMs?: number } = {},
): Promise<void> {
  const server = await startTestServer(handler)
  const client = new WorkspaceClient({ apiUrl: server.url, env: {}, ...options })
  try {
    await run(client, server)
  } finally {
    client.close()
    await server.close()
  }
}

const echoUpload: Parameters<typeof startTestServer>[0] = (request, response) =>
  replyJson(response, 201, wireFileInfo('f', request.body.length))

describe('streaming uploads', () => {
  test('a Readable is sent chunked and arrives intact', async () => {
    const data = patterned(FIVE_MB)
    await withServer(echoUpload, async (client, server) => {
      const source = Readable.from(chunksOf(data, 64 * 1024))
      const info = await client.workspace.writeFile('ws', 'big.bin', source)
      assert.equal(info.size, FIVE_MB)
      const received = server.requests[0]
      assert.equal(received?.headers['transfer-encoding'], 'chunked')
      assert.equal(sha256(received?.body ?? Buffer.alloc(0)), sha256(data))
    })
  })

  test('an async iterable of Uint8Array is streamed', async () => {
    await withServer(echoUpload, async (client, server) => {
      async function* parts(): AsyncGenerator<Uint8Array> {
        yield new TextEncoder().encode('hello, ')
        yield new TextEncoder().encode('world')
      }
      await client.workspace.writeFile('ws', 'greeting.txt', parts())
      assert.equal(server.requests[0]?.body.toString(), 'hello, world')
    })
  })

  test('uploadFile streams a local file with its length', async () => {
    const data = patterned(300_000)
    const local = join(dir, 'local.bin')
    writeFileSync(local, data)
    await withServer(echoUpload, async (client, server) => {
      await client.workspace.uploadFile('ws', 'remote.bin', local)
      const received = server.requests[0]
      assert.equal(received?.headers['content-length'], String(data.length))
      assert.equal(sha256(received?.body ?? Buffer.alloc(0)), sha256(data))
    })
  })

  test('uploadFile of a missing local file is a local-file error', async () => {
    await withServer(echoUpload, async (client, server) => {
      await assert.rejects(
        client.workspace.uploadFile('ws', 'x', join(dir, 'nope.bin')),
        (error: unknown) =>
          error instanceof WorkspaceError && error.details.reason === 'local-file',
      )
      assert.equal(server.requests.length, 0)
    })
  })

  test('a source that fails mid-way aborts the upload with an upload-source error', async () => {
    await withServer(echoUpload, async (client, server) => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array(10)
        throw new Error('disk on fire')
      }
      await assert.rejects(client.workspace.writeFile('ws', 'x', failing()), (error: unknown) => {
        assert.ok(error instanceof WorkspaceError)
        assert.equal(error.details.reason, 'upload-source')
        assert.match(error.message, /disk on fire/)
        return true
      })
      assert.equal(server.requests.length, 0)
    })
  })
})

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

describe('streaming downloads', () => {
  const data = patterned(FIVE_MB)
  const serveData: Parameters<typeof startTestServer>[0] = (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' })
    Readable.from(chunksOf(data, 64 * 1024)).pipe(response)
  }

  test('readFileStream yields the bytes as they arrive', async () => {
    await withServer(serveData, async (client) => {
      const stream = await client.workspace.readFileStream('ws', 'big.bin')
      const hash = createHash('sha256')
      for await (const chunk of stream) hash.update(chunk as Buffer)
      assert.equal(hash.digest('hex'), sha256(data))
    })
  })

  test('downloadFile writes the file and replaces an existing one', async () => {
    const target = join(dir, 'download.bin')
    writeFileSync(target, 'old')
    await withServer(serveData, async (client) => {
      const written = await client.workspace.downloadFile('ws', 'big.bin', target)
      assert.equal(written, FIVE_MB)
      assert.equal(sha256(readFileSync(target)), sha256(data))
    })
  })

  test('a download cut off mid-way leaves the existing file untouched and no temp file', async () => {
    const target = join(dir, 'kept.bin')
    writeFileSync(target, 'keep me')
    const cutOff: Parameters<typeof startTestServer>[0] = (_request, response) => {
      response.writeHead(200, { 'content-length': 1_000_000 })
      response.write(Buffer.alloc(1000))
      setTimeout(() => response.destroy(), 20)
    }
    await withServer(cutOff, async (client) => {
      await assert.rejects(client.workspace.downloadFile('ws', 'f', target), WorkspaceError)
    })
    assert.equal(readFileSync(target, 'utf8'), 'keep me')
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith('.part')),
      [],
    )
  })

  test('a stalled download times out after fileTimeoutMs without progress', async () => {
    const stall: Parameters<typeof startTestServer>[0] = (_request, response) => {
      response.writeHead(200, { 'content-length': 10 })
      response.write('12345')
    }
    await withServer(
      stall,
      async (client) => {
        await assert.rejects(client.workspace.readFile('ws', 'f'), (error: unknown) => {
          assert.ok(error instanceof WorkspaceError)
          assert.equal(error.details.reason, 'timeout')
          return true
        })
      },
      { fileTimeoutMs: 150 },
    )
  })

  test('aborting a readFileStream ends it with an aborted error', async () => {
    const trickle: Parameters<typeof startTestServer>[0] = (_request, response) => {
      response.writeHead(200)
      const timer = setInterval(() => response.write('x'), 10)
      response.on('close', () => clearInterval(timer))
    }
    await withServer(trickle, async (client) => {
      const controller = new AbortController()
      const stream = await client.workspace.readFileStream('ws', 'f', { signal: controller.signal })
      setTimeout(() => controller.abort(), 50)
      await assert.rejects(
        (async () => {
          for await (const _chunk of stream) void _chunk
        })(),
        (error: unknown) => error instanceof WorkspaceError && error.details.reason === 'aborted',
      )
    })
  })
})
