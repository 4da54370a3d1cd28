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
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { tempDir, testApp } from './helpers/app.js'

const KEY = 'file-token-test-key'
const auth = { 'x-api-key': KEY }

async function workspace(app: FastifyInstance): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: auth,
    payload: { name: 'tokens' },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<{ id: string }>().id
}

async function put(app: FastifyInstance, id: string, file: string, body: string): Promise<void> {
  const response = await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    payload: body,
  })
  assert.equal(response.statusCode, 201, response.body)
}

async function mint(
  app: FastifyInstance,
  id: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/tokens`,
    headers: { ...auth, ...headers },
    payload: body,
  })
}

/** The path and query of a URL, for app.inject. */
function local(url: string): string {
  const parsed = new URL(url)
  return `${parsed.pathname}${parsed.search}`
}

function content(id: string, file: string, extra = ''): string {
  return `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}${extra}`
}

function assertError(
  response: { statusCode: number; json: () => any },
  status: number,
  code: number,
) {
  assert.equal(response.statusCode, status)
  assert.equal(response.json().error.code, code)
}

test('a download token opens files/content by header (Bearer or bare) and by query parameter', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  await put(app, id, 'dir/a.txt', 'hello tokens')
  const minted = await mint(app, id, { path: './dir//a.txt', operation: 'download' })
  assert.equal(minted.statusCode, 201, minted.body)
  const body = minted.json()
  assert.match(body.token, /^wm1\./)
  assert.equal(body.operation, 'download')
  assert.equal(body.path, 'dir/a.txt')
  assert.equal(body.header, 'authorization')
  assert.equal(body.query_param, 'token')
  const expires = Date.parse(body.expires_at) - Date.now()
  assert.ok(expires > 890_000 && expires <= 902_000, `expires in ${expires} ms`)
  assert.equal(
    body.url,
    `http://localhost:80/v1/workspaces/${id}/files/content?path=dir%2Fa.txt&token=${body.token}`,
  )

  const viaQuery = await app.inject({ method: 'GET', url: local(body.url) })
  assert.equal(viaQuery.statusCode, 200, viaQuery.body)
  assert.equal(viaQuery.body, 'hello tokens')
  for (const value of [`Bearer ${body.token}`, body.token]) {
    const viaHeader = await app.inject({
      method: 'GET',
      url: content(id, 'dir/a.txt'),
      headers: { authorization: value },
    })
    assert.equal(viaHeader.statusCode, 200, viaHeader.body)
    assert.equal(viaHeader.body, 'hello tokens')
  }
  // The same path written another way is the same file.
  const respelled = await app.inject({
    method: 'GET',
    url: content(id, 'dir/./a.txt/', `&token=${body.token}`),
  })
  assert.equal(respelled.statusCode, 200, respelled.body)
})

test('WORKSPACE_UPLOAD_TOKEN_HEADER and WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM name where the token goes', async (t) => {
  const { app } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_UPLOAD_TOKEN_HEADER: 'X-Upload-Token',
    WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM: 'dl',
  })
  const id = await workspace(app)
  await put(app, id, 'f.txt', 'custom names')
  const body = (await mint(app, id, { path: 'f.txt', operation: 'download' })).json()
  assert.equal(body.header, 'x-upload-token')
  assert.equal(body.query_param, 'dl')
  assert.ok(body.url.endsWith(`?path=f.txt&dl=${body.token}`), body.url)

  const viaQuery = await app.inject({ method: 'GET', url: local(body.url) })
  assert.equal(viaQuery.body, 'custom names')
  const viaHeader = await app.inject({
    method: 'GET',
    url: content(id, 'f.txt'),
    headers: { 'x-upload-token': `Bearer ${body.token}` },
  })
  assert.equal(viaHeader.body, 'custom names')
  // The default names no longer carry a token: the request needs the API key.
  const oldQuery = await app.inject({
    method: 'GET',
    url: content(id, 'f.txt', `&token=${body.token}`),
  })
  assertError(oldQuery, 401, 1002)
  const oldHeader = await app.inject({
    method: 'GET',
    url: content(id, 'f.txt'),
    headers: { authorization: `Bearer ${body.token}` },
  })
  assertError(oldHeader, 401, 1002)
})

test('an upload token writes the file through PUT files/content', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const body = (await mint(app, id, { path: 'up/new.bin', operation: 'upload' })).json()
  const uploaded = await app.inject({
    method: 'PUT',
    url: local(body.url),
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.from('uploaded without the key'),
  })
  assert.equal(uploaded.statusCode, 201, uploaded.body)
  assert.equal(uploaded.json().path, 'up/new.bin')
  const read = await app.inject({ method: 'GET', url: content(id, 'up/new.bin'), headers: auth })
  assert.equal(read.body, 'uploaded without the key')
  // By header too.
  const again = await app.inject({
    method: 'PUT',
    url: content(id, 'up/new.bin'),
    headers: { authorization: `Bearer ${body.token}`, 'content-type': 'text/plain' },
    payload: 'second',
  })
  assert.equal(again.statusCode, 201, again.body)
})

test('a token is good only for its workspace, path and operation; a forged one is 401 6001', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const other = await workspace(app)
  await put(app, id, 'a.txt', 'a')
  await put(app, id, 'b.txt', 'b')
  await put(app, other, 'a.txt', 'other a')
  const download = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json()
  const upload = (await mint(app, id, { path: 'a.txt', operation: 'upload' })).json()

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  // Another path, another workspace.
  assertError(
    await app.inject({ method: 'GET', url: content(id, 'b.txt'), headers: bearer(download.token) }),
    401,
    6001,
  )
  assertError(
    await app.inject({
      method: 'GET',
      url: content(other, 'a.txt'),
      headers: bearer(download.token),
    }),
    401,
    6001,
  )
  // Another operation, both ways round.
  assertError(
    await app.inject({
      method: 'PUT',
      url: content(id, 'a.txt'),
      headers: bearer(download.token),
      payload: 'overwrite',
    }),
    401,
    6001,
  )
  assertError(
    await app.inject({ method: 'GET', url: content(id, 'a.txt'), headers: bearer(upload.token) }),
    401,
    6001,
  )
  // A path that could never be right, and two paths at once.
  assertError(
    await app.inject({
      method: 'GET',
      url: content(id, '../a.txt'),
      headers: bearer(download.token),
    }),
    401,
    6001,
  )
  assertError(
    await app.inject({
      method: 'GET',
      url: `${content(id, 'a.txt')}&path=b.txt`,
      headers: bearer(download.token),
    }),
    401,
    6001,
  )
  // Tampered: claims rewritten for another path (old signature), a flipped signature, garbage.
  const [prefix, claims, mac] = download.token.split('.') as [string, string, string]
  const rewritten = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), path: 'b.txt' }),
  ).toString('base64url')
  const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`
  for (const [file, token] of [
    ['b.txt', `${prefix}.${rewritten}.${mac}`],
    ['a.txt', `${prefix}.${claims}.${flipped}`],
    ['a.txt', 'not-a-token'],
  ] as const) {
    const response = await app.inject({
      method: 'GET',
      url: content(id, file, `&token=${encodeURIComponent(token)}`),
    })
    assertError(response, 401, 6001)
  }
  // Nothing was overwritten by the refused upload.
  const read = await app.inject({ method: 'GET', url: content(id, 'a.txt'), headers: auth })
  assert.equal(read.body, 'a')
})

test('a file token opens nothing but files/content, and minting needs the API key', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const token = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json().token
  for (const url of [
    `/v1/workspaces/${id}/files?path=&token=${token}`,
    `/v1/workspaces/${id}/files/info?path=a.txt&token=${token}`,
    `/v1/workspaces/${id}?token=${token}`,
  ]) {
    assertError(await app.inject({ method: 'GET', url }), 401, 1002)
  }
  const noKey = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/tokens`,
    headers: { authorization: `Bearer ${token}` },
    payload: { path: 'a.txt', operation: 'upload' },
  })
  assertError(noKey, 401, 1002)
  // Deleting with a download token: not a token route, so the API key is required.
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/workspaces/${id}/files?path=a.txt&token=${token}`,
  })
  assertError(del, 401, 1002)
})

test('minting checks the workspace, the path and the operation', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  assertError(await mint(app, 'ws_missing', { path: 'a', operation: 'download' }), 404, 7001)
  assertError(await mint(app, id, { path: '../a', operation: 'download' }), 403, 5006)
  assertError(await mint(app, id, { path: '/etc/passwd', operation: 'download' }), 403, 5006)
  assertError(await mint(app, id, { path: 'a', operation: 'delete' }), 400, 1001)
  assertError(await mint(app, id, { path: 'a' }), 400, 1001)
  assertError(await mint(app, id, { path: 'a', operation: 'upload', extra: 1 }), 400, 1001)
})

test('an expired token is 410 6002 (WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS)', async (t) => {
  const { app } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS: '1',
  })
  const id = await workspace(app)
  await put(app, id, 'a.txt', 'a')
  const body = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json()
  const lifetime = Date.parse(body.expires_at) - Date.now()
  assert.ok(lifetime > 0 && lifetime <= 2000, `lifetime ${lifetime} ms`)
  assert.equal((await app.inject({ method: 'GET', url: local(body.url) })).statusCode, 200)
  await sleep(lifetime + 1100)
  assertError(await app.inject({ method: 'GET', url: local(body.url) }), 410, 6002)
  const upload = (await mint(app, id, { path: 'a.txt', operation: 'upload' })).json()
  await sleep(Date.parse(upload.expires_at) - Date.now() + 1100)
  assertError(
    await app.inject({ method: 'PUT', url: local(upload.url), payload: 'late' }),
    410,
    6002,
  )
})

test('the token URL is built on WORKSPACE_PUBLIC_BASE_URL when set, else on the request origin', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const fromRequest = (
    await mint(app, id, { path: 'x y.txt', operation: 'upload' }, { host: 'files.internal:9443' })
  ).json()
  assert.ok(
    fromRequest.url.startsWith(
      `http://files.internal:9443/v1/workspaces/${id}/files/content?path=x+y.txt&token=`,
    ),
    fromRequest.url,
  )

  const { app: fronted } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_PUBLIC_BASE_URL: 'https://wm.example.com/api/',
  })
  const fid = await workspace(fronted)
  const fromBase = (
    await mint(fronted, fid, { path: 'a.txt', operation: 'download' }, { host: 'ignored:1' })
  ).json()
  assert.ok(
    fromBase.url.startsWith(`https://wm.example.com/api/v1/workspaces/${fid}/files/content?`),
    fromBase.url,
  )
  assert.throws(
    () => loadConfig({ WORKSPACE_PUBLIC_BASE_URL: 'ftp://wm.example.com' }),
    /WORKSPACE_PUBLIC_BASE_URL/,
  )
  assert.throws(
    () => loadConfig({ WORKSPACE_PUBLIC_BASE_URL: 'not a url' }),
    /WORKSPACE_PUBLIC_BASE_URL/,
  )
})

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
