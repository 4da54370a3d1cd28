/**
 * Every client variable of the seed table through WorkspaceManagerClient:
 * explicit option beats environment beats default, each observed on the
 * calls the client makes (the SDK's own config tests prove the resolution).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { WorkspaceError, WorkspaceManagerClient } from '../src/index.js'
import { bodyOf, FakeApi } from './manager-fake.test.js'

const failsWith =
  (reason: string, pattern = /./) =>
  (error: unknown) =>
    error instanceof WorkspaceError &&
    error.details.reason === reason &&
    pattern.test(error.message)

describe('client variables through WorkspaceManagerClient', () => {
  let api: FakeApi
  let dir: string
  before(async () => {
    api = await FakeApi.start()
    dir = await mkdtemp(join(tmpdir(), 'wm-manager-config-'))
  })
  after(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })
  const dead = 'http://127.0.0.1:9'

  test('WORKSPACE_API_URL', async () => {
    assert.equal(new WorkspaceManagerClient({ env: {} }).baseUrl, 'http://127.0.0.1:8080')
    const env = { WORKSPACE_API_URL: api.url }
    assert.equal((await new WorkspaceManagerClient({ env }).health()).status, 'ok')
    const explicit = new WorkspaceManagerClient({ baseUrl: dead, env })
    await assert.rejects(explicit.health(), failsWith('network'))
  })

  test('WM_BASE_URL is the fallback alias', async () => {
    assert.equal(
      (await new WorkspaceManagerClient({ env: { WM_BASE_URL: api.url } }).health()).status,
      'ok',
    )
    const both = { WM_BASE_URL: dead, WORKSPACE_API_URL: api.url }
    assert.equal(new WorkspaceManagerClient({ env: both }).baseUrl, api.url)
    assert.equal(new WorkspaceManagerClient({ baseUrl: dead, env: both }).baseUrl, dead)
  })

  test('WORKSPACE_API_KEY and WORKSPACE_API_KEY_HEADER', async () => {
    await api.client().health()
    assert.equal(api.last.headers['x-api-key'], undefined)
    await api.client({ env: { WORKSPACE_API_KEY: 'env-key' } }).createWorkspace()
    assert.equal(api.last.headers['x-api-key'], 'env-key')
    await api.client({ apiKey: 'mine', env: { WORKSPACE_API_KEY: 'env-key' } }).health()
    assert.equal(api.last.headers['x-api-key'], 'mine')
    const env = { WORKSPACE_API_KEY: 'env-key', WORKSPACE_API_KEY_HEADER: 'X-Env-Header' }
    await api.client({ env }).health()
    assert.equal(api.last.headers['x-env-header'], 'env-key')
    await api.client({ env, apiKeyHeader: 'X-Explicit' }).health()
    assert.equal(api.last.headers['x-explicit'], 'env-key')
    assert.equal(api.last.headers['x-env-header'], undefined)
  })

  test('WM_REQUEST_TIMEOUT', async () => {
    api.delays.set('health', 300)
    try {
      assert.equal((await api.client().health()).status, 'ok')
      const env = { WM_REQUEST_TIMEOUT: '0.1' }
      await api
        .client({ env })
        .health()
        .then(
          () => assert.fail('expected a timeout'),
          (error: unknown) => assert.ok(failsWith('timeout', /0.1s/)(error)),
        )
      assert.equal((await api.client({ env, timeoutMs: 2000 }).health()).status, 'ok')
    } finally {
      api.delays.delete('health')
    }
  })

  test('WM_EXEC_TIMEOUT', async () => {
    const timeoutSent = async (options: Parameters<FakeApi['client']>[0]) => {
      await (await api.client(options).createWorkspace()).exec('true')
      return bodyOf(api.last).timeout
    }
    assert.equal(await timeoutSent({}), 300)
    assert.equal(await timeoutSent({ env: { WM_EXEC_TIMEOUT: '12' } }), 12)
    assert.equal(await timeoutSent({ env: { WM_EXEC_TIMEOUT: '12' }, execTimeoutMs: 4000 }), 4)
  })

  test('WM_CREATE_TIMEOUT', async () => {
    assert.equal(api.client().config.createTimeoutMs, 1_200_000)
    api.firstState = 'starting'
    api.pollsUntilRunning = 1e9
    try {
      const env = { WM_CREATE_TIMEOUT: '0.3' }
      await assert.rejects(
        api.client({ env }).createWorkspace(),
        failsWith('timeout', /within 0.3s/),
      )
      const explicit = api.client({ env, createTimeoutMs: 200 })
      await assert.rejects(explicit.createWorkspace(), failsWith('timeout', /within 0.2s/))
    } finally {
      api.firstState = 'running'
      api.pollsUntilRunning = 0
    }
  })

  test('WM_FILE_TIMEOUT', async () => {
    const ws = await api.client().createWorkspace()
    await ws.writeFile('slow.txt', 'x')
    api.delays.set('files', 300)
    try {
      assert.equal(await ws.readFile('slow.txt'), 'x')
      const env = { WM_FILE_TIMEOUT: '0.1' }
      const short = await api.client({ env }).getWorkspace(ws.id)
      await assert.rejects(short.readFile('slow.txt'), failsWith('timeout'))
      await assert.rejects(short.download('slow.txt', join(dir, 's.txt')), failsWith('timeout'))
      const explicit = await api.client({ env, fileTimeoutMs: 3000 }).getWorkspace(ws.id)
      assert.equal(await explicit.readFile('slow.txt'), 'x')
      await assert.rejects(short.writeFile('other.txt', 'y'), failsWith('timeout'))
    } finally {
      api.delays.delete('files')
    }
  })

  test('WM_ALLOW_INSECURE_HTTP', () => {
    const remote = 'http://wm.example.com'
    assert.throws(
      () => new WorkspaceManagerClient({ baseUrl: remote, env: {} }),
      failsWith('config', /WM_ALLOW_INSECURE_HTTP/),
    )
    const env = { WM_ALLOW_INSECURE_HTTP: 'true' }
    assert.equal(new WorkspaceManagerClient({ baseUrl: remote, env }).baseUrl, remote)
    assert.throws(
      () => new WorkspaceManagerClient({ baseUrl: remote, env, allowInsecureHttp: false }),
      failsWith('config'),
    )
  })

  test('WM_MAX_FILE_TRANSFER_BYTES', async () => {
    assert.equal(api.client().config.maxFileTransferBytes, 1024 ** 3)
    const big = join(dir, 'big.bin')
    await writeFile(big, Buffer.alloc(2048, 1))
    const ws = await api.client({ env: { WM_MAX_FILE_TRANSFER_BYTES: '1024' } }).createWorkspace()
    const start = api.requests.length
    const capped = (error: unknown) => error instanceof WorkspaceError && error.code === 1004
    await assert.rejects(ws.upload(big, 'big.bin'), capped)
    await assert.rejects(ws.writeFile('b', Buffer.alloc(1025)), capped)
    assert.equal(api.requests.length, start) // refused before anything was sent, no token minted
    api.files.set(`${ws.id}:big.bin`, Buffer.alloc(2048, 2))
    const target = join(dir, 'target.bin')
    await writeFile(target, 'old')
    await assert.rejects(ws.download('big.bin', target), capped)
    await assert.rejects(ws.readFile('big.bin'), capped)
    assert.equal(await readFile(target, 'utf8'), 'old')
    const roomy = await api
      .client({ env: { WM_MAX_FILE_TRANSFER_BYTES: '1024' }, maxFileTransferBytes: 4096 })
      .getWorkspace(ws.id)
    assert.equal(await roomy.download('big.bin', target), 2048)
    assert.equal((await roomy.upload(big, 'big2.bin')).size, 2048)
  })

  test('WORKSPACE_PUBLIC_BASE_URL', async () => {
    const own = await (await api.client().createWorkspace()).uploadUrl('a.txt')
    assert.ok(own.startsWith(`${api.url}/v1/workspaces/`))
    const env = { WORKSPACE_PUBLIC_BASE_URL: 'https://files.example.com/wm/' }
    const ws = await api.client({ env }).createWorkspace()
    const url = await ws.downloadUrl('/workspace/a.txt')
    assert.ok(
      url.startsWith(
        `https://files.example.com/wm/v1/workspaces/${ws.id}/files/content?path=a.txt&token=wm1.`,
      ),
    )
    const explicit = await api
      .client({ env, publicBaseUrl: 'https://share.example.org' })
      .createWorkspace()
    assert.ok((await explicit.uploadUrl('a.txt')).startsWith('https://share.example.org/v1/'))
  })

  test('CONTAINER_WORKSPACE_DIR', async () => {
    assert.equal((await api.client().createWorkspace()).workdir, '/workspace')
    const env = { CONTAINER_WORKSPACE_DIR: '/tmp/workspace' }
    const ws = await api.client({ env }).createWorkspace()
    assert.equal(ws.workdir, '/tmp/workspace')
    await ws.exec('pwd')
    assert.equal(bodyOf(api.last).cwd, '/tmp/workspace')
    await ws.writeFile('/tmp/workspace/src/x.py', 'x')
    assert.ok(api.files.has(`${ws.id}:src/x.py`))
    await assert.rejects(
      ws.writeFile('/workspace/x.py', 'x'),
      /outside the workspace directory \/tmp\/workspace/,
    )
    const explicit = await api.client({ env, containerWorkspaceDir: '/srv/work' }).createWorkspace()
    assert.equal(explicit.workdir, '/srv/work')
    await explicit.exec(['ls'], { cwd: 'sub' })
    assert.equal(bodyOf(api.last).cwd, '/srv/work/sub')
  })
})

describe('WM_VERIFY_TLS and WM_ALLOW_INSECURE_TLS against a real self-signed https server', () => {
  const skip = spawnSync('openssl', ['version']).error ? 'openssl is not installed' : false

  test(
    'the certificate is checked unless both are set; the explicit option wins',
    { skip },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'wm-manager-tls-'))
      const selfSigned = 'req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost'.split(' ')
      const files = ['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]
      spawnSync('openssl', [...selfSigned, ...files], { stdio: 'ignore' })
      const tls = {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
      }
      const server = createServer(tls, (_req, res) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ status: 'ok', version: 'tls' }))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      t.after(() => {
        server.closeAllConnections()
        server.close()
        rmSync(dir, { recursive: true, force: true })
      })
      const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
      await assert.rejects(
        new WorkspaceManagerClient({ baseUrl, env: {} }).health(),
        failsWith('network'),
      )
      assert.throws(
        () => new WorkspaceManagerClient({ baseUrl, env: { WM_VERIFY_TLS: 'false' } }),
        failsWith('config', /WM_ALLOW_INSECURE_TLS/),
      )
      const env = { WM_VERIFY_TLS: 'false', WM_ALLOW_INSECURE_TLS: 'true' }
      assert.equal((await new WorkspaceManagerClient({ baseUrl, env }).health()).version, 'tls')
      await assert.rejects(
        new WorkspaceManagerClient({ baseUrl, env, verifyTls: true }).health(),
        failsWith('network'),
      )
      const lax = new WorkspaceManagerClient({
        baseUrl,
        verifyTls: false,
        allowInsecureTls: true,
        env: {},
      })
      assert.equal((await lax.health()).status, 'ok')
    },
  )
})
