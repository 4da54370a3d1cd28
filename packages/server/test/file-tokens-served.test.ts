/**
 * File tokens against a served process: what reaches the log file, the start-up
 * warning about the default secret, and a 1 GiB round trip over real sockets.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import http from 'node:http'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { tempDir, testApp } from './helpers/app.js'
import { KEY, workspace, put, mint, local, content } from './helpers/file-tokens.js'

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error('condition not met in time')
}

test('request logs never carry a file token, whatever the query parameter is called', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'wm.log')
  const config = loadConfig({
    WM_DATA_DIR: dir,
    WM_LOG_FILE: file,
    WORKSPACE_API_KEY: KEY,
    WM_NFS_ENABLED: 'false',
    WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM: 'dl',
    WORKSPACE_UPLOAD_TOKEN_HEADER: 'X-Upload-Token',
  })
  const app = await buildApp(config)
  t.after(() => app.close())
  const id = await workspace(app)
  await put(app, id, 'a.txt', 'a')
  const body = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json()
  const byQuery = await app.inject({
    method: 'GET',
    url: local(body.url),
    headers: { 'x-request-id': 'by-query' },
  })
  assert.equal(byQuery.statusCode, 200)
  const byHeader = await app.inject({
    method: 'GET',
    url: content(id, 'a.txt'),
    headers: { 'x-upload-token': body.token, 'x-request-id': 'by-header' },
  })
  assert.equal(byHeader.statusCode, 200)
  const refused = await app.inject({
    method: 'GET',
    url: content(id, 'b.txt', `&dl=${body.token}`),
    headers: { 'x-request-id': 'refused' },
  })
  assert.equal(refused.statusCode, 401)
  await waitFor(async () => {
    const text = await fs.readFile(file, 'utf8').catch(() => '')
    return ['by-query', 'by-header', 'refused'].every((reqId) => text.includes(reqId))
  })
  const text = await fs.readFile(file, 'utf8')
  assert.match(text, /dl=%5BREDACTED%5D/)
  const [, , mac] = body.token.split('.')
  assert.ok(!text.includes(body.token), 'the token leaked into the log')
  assert.ok(!text.includes(mac), 'the token signature leaked into the log')
})

/** Starts wm-server (src/main.ts) and collects its log lines until `until` matches one or it times out. */
async function startServer(
  t: { after: (fn: () => unknown) => void },
  env: Record<string, string>,
  until: RegExp,
): Promise<string> {
  const dir = await fs.mkdtemp(path.join((await import('node:os')).tmpdir(), 'wm-main-'))
  t.after(() => fs.rm(dir, { recursive: true, force: true }))
  const envFile = path.join(dir, 'empty.env')
  await fs.writeFile(envFile, '')
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dir,
      WM_SERVER_ENV_FILE: envFile,
      WM_DATA_DIR: path.join(dir, 'data'),
      WM_HOST: '127.0.0.1',
      WM_PORT: '0',
      WM_NFS_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    await waitFor(async () => until.test(output) || child.exitCode !== null, 60_000)
  } finally {
    child.kill('SIGTERM')
    await Promise.race([exited, sleep(10_000)])
    if (child.exitCode === null) child.kill('SIGKILL')
  }
  return output
}

test('start-up warns loudly when WORKSPACE_UPLOAD_TOKEN_SECRET is the built-in default', async (t) => {
  const withDefault = await startServer(t, {}, /Server listening/)
  const lines = withDefault
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
  const warning = lines.find((line) => /WORKSPACE_UPLOAD_TOKEN_SECRET/.test(line.msg))
  assert.ok(warning, `no warning in:\n${withDefault}`)
  assert.equal(warning.level, 40)
  assert.match(warning.msg, /development secret/)

  const withOwn = await startServer(
    t,
    { WORKSPACE_UPLOAD_TOKEN_SECRET: 'a-real-secret-for-this-test' },
    /Server listening/,
  )
  assert.match(withOwn, /Server listening/)
  assert.doesNotMatch(withOwn, /WORKSPACE_UPLOAD_TOKEN_SECRET is the built-in/)
  assert.ok(!withOwn.includes('a-real-secret-for-this-test'), 'the secret was logged')
})

const GiB = 1024 ** 3
const CHUNK = 1024 * 1024

/** `total` bytes of generated data: a random 1 MiB block, each copy stamped with its index. */
function generated(total: number): { stream: Readable; digest: Promise<string> } {
  const block = randomBytes(CHUNK)
  const hash = createHash('sha256')
  let sent = 0
  let index = 0
  let finish: (digest: string) => void = () => undefined
  const digest = new Promise<string>((resolve) => (finish = resolve))
  const stream = new Readable({
    highWaterMark: 4 * CHUNK,
    read() {
      if (sent >= total) {
        finish(hash.digest('hex'))
        this.push(null)
        return
      }
      const size = Math.min(CHUNK, total - sent)
      const chunk = Buffer.from(block.subarray(0, size))
      chunk.writeUInt32BE(index++, 0)
      hash.update(chunk)
      sent += size
      this.push(chunk)
    },
  })
  return { stream, digest }
}

function request(
  url: string,
  options: http.RequestOptions,
  body?: Readable,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, resolve)
    req.on('error', reject)
    if (body) pipeline(body, req).catch(reject)
    else req.end()
  })
}

test('SLOW (1 GiB each way over loopback, 4-20 s): a 1 GiB upload and download through token URLs loses no byte', async (t) => {
  const { app } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WM_MAX_FILE_TRANSFER_BYTES: String(GiB),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${address.port}`
  const id = await workspace(app)
  const up = (
    await mint(
      app,
      id,
      { path: 'big/one-gib.bin', operation: 'upload' },
      { host: `127.0.0.1:${address.port}` },
    )
  ).json()
  assert.ok(up.url.startsWith(base), up.url)

  let peakRss = process.memoryUsage().rss
  const startRss = peakRss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 100)
  t.after(() => clearInterval(sampler))

  const started = Date.now()
  const source = generated(GiB)
  const uploaded = await request(
    up.url,
    {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(GiB) },
    },
    source.stream,
  )
  let uploadReply = ''
  for await (const chunk of uploaded) uploadReply += String(chunk)
  assert.equal(uploaded.statusCode, 201, uploadReply)
  assert.equal(JSON.parse(uploadReply).size, GiB)
  const uploadMs = Date.now() - started

  const down = (await mint(app, id, { path: 'big/one-gib.bin', operation: 'download' })).json()
  const downloadStarted = Date.now()
  const downloaded = await request(`${base}${local(down.url).split('&token=')[0]}`, {
    headers: { authorization: `Bearer ${down.token}` },
  })
  assert.equal(downloaded.statusCode, 200)
  assert.equal(downloaded.headers['content-length'], String(GiB))
  const hash = createHash('sha256')
  let received = 0
  for await (const chunk of downloaded) {
    hash.update(chunk as Buffer)
    received += (chunk as Buffer).length
  }
  const downloadMs = Date.now() - downloadStarted
  clearInterval(sampler)
  assert.equal(received, GiB)
  assert.equal(hash.digest('hex'), await source.digest)
  const growth = peakRss - startRss
  t.diagnostic(
    `1 GiB up ${(uploadMs / 1000).toFixed(1)} s, down ${(downloadMs / 1000).toFixed(1)} s; peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`,
  )
  assert.ok(growth < 256 * 2 ** 20, `memory grew by ${growth} bytes during the transfer`)
})
