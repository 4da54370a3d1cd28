import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { PermissionDeniedError, WorkspaceError, type WorkspaceHandle } from '../src/index.js'
import { bodyOf, FakeApi } from './manager-fake.test.js'

describe('WorkspaceHandle', () => {
  let api: FakeApi
  let ws: WorkspaceHandle
  let dir: string
  before(async () => {
    api = await FakeApi.start()
    dir = await mkdtemp(join(tmpdir(), 'wm-manager-'))
  })
  after(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })
  const fresh = async (): Promise<WorkspaceHandle> => {
    ws = await api.client({ apiKey: 'k-123' }).createWorkspace()
    return ws
  }
  const lastRun = () => bodyOf(api.seen('POST', /\/processes$/).at(-1)!)

  test('exec of a string runs through the shell in the workdir', async () => {
    await fresh()
    const result = await ws.exec('echo hi | tr a-z A-Z')
    assert.deepEqual([result.exitCode, result.stdout, result.stderr], [0, 'ok\n', ''])
    const body = lastRun()
    assert.deepEqual(
      [body.cmd, body.args, body.cwd],
      ['/bin/sh', ['-c', 'echo hi | tr a-z A-Z'], '/workspace'],
    )
    assert.equal(body.timeout, 300)
  })

  test('exec of an array runs the program with its arguments', async () => {
    await ws.exec(['python3', '-c', 'print(1)'], { cwd: 'src', env: { X: '1' }, timeoutMs: 5000 })
    const body = lastRun()
    assert.deepEqual([body.cmd, body.args], ['python3', ['-c', 'print(1)']])
    assert.deepEqual([body.cwd, body.env, body.timeout], ['/workspace/src', { X: '1' }, 5])
    await ws.exec(['ls'], { cwd: '/tmp' })
    assert.equal(lastRun().cwd, '/tmp')
    api.runResult = { exit_code: 3, stdout: '', stderr: 'bad\n', truncated: false }
    const failed = await ws.exec('false')
    assert.deepEqual([failed.exitCode, failed.stderr], [3, 'bad\n'])
    for (const bad of ['', '  ', [], ['']] as Array<string | string[]>) {
      await assert.rejects(ws.exec(bad), TypeError)
    }
  })

  test('files, relative or under the workdir', async () => {
    const info = await ws.writeFile('src/a.txt', 'héllo')
    assert.deepEqual([info.path, info.size], ['src/a.txt', Buffer.byteLength('héllo')])
    assert.equal(await ws.readFile('/workspace/src/a.txt'), 'héllo')
    assert.deepEqual(Buffer.from(await ws.readFileBytes('src/a.txt')), Buffer.from('héllo'))
    await ws.writeFile('/workspace/../workspace/b.bin', Buffer.from([0, 255]))
    assert.deepEqual(api.files.get(`${ws.id}:b.bin`), Buffer.from([0, 255]))
    assert.equal(api.last.headers['x-api-key'], 'k-123')
  })

  test('absolute paths outside the workdir are refused before any request', async () => {
    const before = api.requests.length
    for (const path of ['/etc/passwd', '/workspaces/x', '/workspace/../etc/passwd', '/']) {
      for (const call of [
        () => ws.readFile(path),
        () => ws.writeFile(path, 'x'),
        () => ws.uploadUrl(path),
      ]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof PermissionDeniedError)
          assert.equal(error.code, 5006)
          assert.match(error.message, /outside the workspace directory \/workspace/)
          return true
        })
      }
    }
    assert.equal(api.requests.length, before)
  })

  test('upload and download go through token URLs', async () => {
    const local = join(dir, 'data.bin')
    const data = Buffer.alloc(25_600, 7)
    await writeFile(local, data)
    const info = await ws.upload(local, '/workspace/in/data.bin')
    assert.deepEqual([info.path, info.size], ['in/data.bin', data.length])
    assert.deepEqual(api.files.get(`${ws.id}:in/data.bin`), data)
    const [mint, put] = api.requests.slice(-2)
    assert.equal(mint!.url.pathname, `/v1/workspaces/${ws.id}/files/tokens`)
    assert.deepEqual(bodyOf(mint!), { path: 'in/data.bin', operation: 'upload' })
    assert.equal(put!.method, 'PUT')
    assert.match(put!.url.searchParams.get('token') ?? '', /^wm1\./)
    const target = join(dir, 'back.bin')
    assert.equal(await ws.download('in/data.bin', target), data.length)
    assert.deepEqual(await readFile(target), data)
    assert.deepEqual(bodyOf(api.requests.at(-2)!), { path: 'in/data.bin', operation: 'download' })
  })

  test('token transfers go to the client base URL, whatever origin the server names', async () => {
    api.publicBase = 'https://files.example.com/wm'
    try {
      api.files.set(`${ws.id}:a.txt`, Buffer.from('a'))
      await ws.download('a.txt', join(dir, 'a.txt'))
      assert.equal(api.last.url.pathname, `/v1/workspaces/${ws.id}/files/content`)
    } finally {
      api.publicBase = undefined
    }
  })

  test('a refused token rejects and leaves the local file alone', async () => {
    api.validTokens = false
    try {
      api.files.set(`${ws.id}:a.txt`, Buffer.from('a'))
      const target = join(dir, 'kept.txt')
      await writeFile(target, 'old')
      await assert.rejects(ws.download('a.txt', target), (error: unknown) => {
        return error instanceof WorkspaceError && error.code === 6001 && error.status === 401
      })
      assert.equal(await readFile(target, 'utf8'), 'old')
    } finally {
      api.validTokens = true
    }
  })

  test('upload and download URLs for third parties', async () => {
    const url = await ws.uploadUrl('x.txt')
    assert.ok(
      url.startsWith(`${api.url}/v1/workspaces/${ws.id}/files/content?path=x.txt&token=wm1.`),
    )
    assert.deepEqual(bodyOf(api.last), { path: 'x.txt', operation: 'upload' })
    await ws.downloadUrl('x.txt')
    assert.deepEqual(bodyOf(api.last), { path: 'x.txt', operation: 'download' })
    const token = await ws.fileToken('x.txt', 'download')
    assert.deepEqual(
      [token.path, token.header, token.queryParam],
      ['x.txt', 'Authorization', 'token'],
    )
  })

  test('portUrl and portHint', async () => {
    assert.equal(await ws.portUrl(8000), `${api.url}/v1/sandboxes/${ws.sandboxId}/proxy/8000/`)
    const hint = await ws.portHint(5432)
    assert.deepEqual([hint.host, hint.port], ['127.0.0.1', 5432])
    for (const bad of [0, 65536, 1.5]) await assert.rejects(ws.portUrl(bad), RangeError)
  })

  test('proxyUrl mints a proxy token and returns the absolute URL that carries it', async () => {
    const url = await ws.proxyUrl(8000)
    const token = `wm1.t-${ws.sandboxId}-8000.mac`
    assert.equal(url, `${api.url}/v1/sandboxes/${ws.sandboxId}/proxy/8000/?wm_proxy_token=${token}`)
    assert.equal(api.last.method, 'POST')
    assert.equal(api.last.headers['x-api-key'], 'k-123')
    for (const bad of [0, 65536, 1.5]) await assert.rejects(ws.proxyUrl(bad), RangeError)
  })

  test('checkpoint, list, restore and delete', async () => {
    const first = await ws.checkpoint('before')
    assert.deepEqual(
      [first.name, first.kind, first.sandboxId],
      ['before', 'filesystem', ws.sandboxId],
    )
    assert.deepEqual(bodyOf(api.last), { name: 'before' })
    const second = await ws.checkpoint()
    assert.deepEqual(bodyOf(api.last), {})
    assert.deepEqual(
      (await ws.checkpoints()).map((c) => c.id),
      [first.id, second.id],
    )
    const sandbox = await ws.restore(first.id)
    assert.equal(sandbox.template, first.image)
    assert.equal(ws.sandbox?.template, first.image)
    assert.match(api.last.url.pathname, new RegExp(`/checkpoints/${first.id}/restore$`))
    await ws.deleteCheckpoint(second.id)
    assert.deepEqual(
      (await ws.checkpoints()).map((c) => c.id),
      [first.id],
    )
  })

  test('a handle without a sandbox says so; files still work', async () => {
    const client = api.client()
    const bare = await client.getWorkspace((await client.workspace.create()).id)
    for (const action of [
      () => bare.exec('ls'),
      () => bare.portUrl(80),
      () => bare.proxyUrl(80),
      () => bare.checkpoint(),
    ]) {
      await assert.rejects(action(), /has no sandbox/)
    }
    await bare.writeFile('a.txt', 'ok')
  })

  test('refresh, delete and await using', async () => {
    api.sandboxes.get(ws.sandboxId!)!.state = 'stopped'
    assert.equal((await ws.refresh()).sandbox?.state, 'stopped')
    await ws.delete()
    assert.equal(api.workspaces.has(ws.id), false)
    const other = await fresh()
    await other[Symbol.asyncDispose]()
    assert.equal(api.workspaces.has(other.id), false)
    assert.equal(
      [...api.sandboxes.values()].some((s) => s.workspace_id === other.id),
      false,
    )
  })
})
