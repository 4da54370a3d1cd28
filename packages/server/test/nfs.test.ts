/**
 * Workspaces over NFS with a real NFS-Ganesha and libnfs's client over
 * loopback: content written through the API is read over NFS and the
 * reverse, byte-exact at 100 MB; exports follow workspaces without a
 * restart; ganesha is restarted when it dies and stopped on close.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  nfsApp,
  nfsSkipReason,
  nfsUrl,
  processAlive,
  run,
  sha256,
  type NfsApp,
} from './helpers/nfs.js'

const skip = nfsSkipReason() ?? false

async function createWorkspace(nfs: NfsApp): Promise<{ id: string; nfs_url: string | null }> {
  const response = await nfs.app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
  assert.equal(response.statusCode, 201, response.body)
  return response.json()
}

async function putFile(nfs: NfsApp, id: string, file: string, body: Buffer): Promise<void> {
  const response = await nfs.app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  })
  assert.equal(response.statusCode, 201, response.body)
}

async function getFile(nfs: NfsApp, id: string, file: string): Promise<Buffer> {
  const response = await nfs.app.inject({
    method: 'GET',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
  })
  assert.equal(response.statusCode, 200, response.body)
  return response.rawPayload
}

async function pidFromFile(file: string): Promise<number | undefined> {
  try {
    return Number((await fs.readFile(file, 'utf8')).trim())
  } catch {
    return undefined
  }
}

describe('workspaces over NFS', { skip }, () => {
  let nfs: NfsApp
  let scratch: string

  before(async () => {
    nfs = await nfsApp()
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-nfs-scratch-'))
  })
  after(async () => {
    await nfs?.close()
    if (nfs) await fs.rm(nfs.dataDir, { recursive: true, force: true })
    if (scratch) await fs.rm(scratch, { recursive: true, force: true })
  })

  test('nfs_url is nfs://host:port/workspaces/<id> on create, get and list', async () => {
    const workspace = await createWorkspace(nfs)
    const expected = `nfs://127.0.0.1:${nfs.config.nfs.port}/workspaces/${workspace.id}`
    assert.equal(workspace.nfs_url, expected)
    const got = await nfs.app.inject({ method: 'GET', url: `/v1/workspaces/${workspace.id}` })
    assert.equal(got.json().nfs_url, expected)
    const list = await nfs.app.inject({ method: 'GET', url: '/v1/workspaces' })
    const listed = list.json().workspaces.find((w: { id: string }) => w.id === workspace.id)
    assert.equal(listed.nfs_url, expected)
  })

  test('a file written through the API is read over NFSv3 and NFSv4; a listing shows it', async () => {
    const { id } = await createWorkspace(nfs)
    const body = randomBytes(300_000)
    await putFile(nfs, id, 'dir/hello.bin', body)
    for (const version of [3, 4] as const) {
      const read = await run('nfs-cat', [nfsUrl(nfs.config, id, 'dir/hello.bin', version)])
      assert.equal(read.code, 0, `v${version}: ${read.stderr}`)
      assert.equal(read.sha256, sha256(body), `v${version} content`)
    }
    const listing = await run('nfs-ls', [nfsUrl(nfs.config, id, 'dir', 3)])
    assert.equal(listing.code, 0, listing.stderr)
    assert.match(listing.stdout.toString(), /hello\.bin/)
  })

  test('a file written over NFSv3 is read through the API', async () => {
    const { id } = await createWorkspace(nfs)
    const body = randomBytes(1_000_000)
    const local = path.join(scratch, 'up.bin')
    await fs.writeFile(local, body)
    const copy = await run('nfs-cp', [local, nfsUrl(nfs.config, id, 'up.bin', 3)])
    assert.equal(copy.code, 0, copy.stderr)
    assert.equal(sha256(await getFile(nfs, id, 'up.bin')), sha256(body))
  })

  test('100 MB round trip is byte-exact both ways (API -> NFSv3 read, NFSv3 write -> API)', async (t) => {
    const { id } = await createWorkspace(nfs)
    const body = randomBytes(100 * 1024 * 1024)
    const digest = sha256(body)
    let t0 = performance.now()
    await putFile(nfs, id, 'big.bin', body)
    const read = await run('nfs-cat', [nfsUrl(nfs.config, id, 'big.bin', 3)])
    const readMs = performance.now() - t0
    assert.equal(read.code, 0, read.stderr)
    assert.equal(read.stdout.length, body.length)
    assert.equal(read.sha256, digest)

    const local = path.join(scratch, 'big.bin')
    await fs.writeFile(local, body)
    t0 = performance.now()
    const copy = await run('nfs-cp', [local, nfsUrl(nfs.config, id, 'big-up.bin', 3)])
    assert.equal(copy.code, 0, copy.stderr)
    const back = await getFile(nfs, id, 'big-up.bin')
    const writeMs = performance.now() - t0
    assert.equal(back.length, body.length)
    assert.equal(sha256(back), digest)
    await fs.rm(local)
    t.diagnostic(
      `100 MB: API PUT + nfs-cat (v3) ${Math.round(readMs)} ms; nfs-cp (v3) + API GET ${Math.round(writeMs)} ms`,
    )
  })

  test('a deleted workspace is unexported at once (without restarting ganesha)', async () => {
    const { id } = await createWorkspace(nfs)
    await putFile(nfs, id, 'a.txt', Buffer.from('a'))
    const pid = await pidFromFile(path.join(nfs.dataDir, 'nfs', 'ganesha.pid'))
    assert.equal((await run('nfs-ls', [nfsUrl(nfs.config, id, '', 3)])).code, 0)
    const response = await nfs.app.inject({ method: 'DELETE', url: `/v1/workspaces/${id}` })
    assert.equal(response.statusCode, 204)
    for (const version of [3, 4] as const) {
      const listing = await run('nfs-ls', [nfsUrl(nfs.config, id, '', version)])
      assert.notEqual(listing.code, 0, `v${version} still lists a deleted workspace`)
    }
    assert.equal(await pidFromFile(path.join(nfs.dataDir, 'nfs', 'ganesha.pid')), pid)
    const files = await fs.readdir(path.join(nfs.dataDir, 'nfs', 'exports'))
    const confs = await Promise.all(
      files.map((f) => fs.readFile(path.join(nfs.dataDir, 'nfs', 'exports', f), 'utf8')),
    )
    assert.ok(!confs.some((c) => c.includes(id)), 'the export file is removed')
  })

  test('everything ganesha writes stays under WM_DATA_DIR/nfs', async () => {
    const conf = await fs.readFile(path.join(nfs.dataDir, 'nfs', 'ganesha.conf'), 'utf8')
    for (const line of conf.split('\n')) {
      const quoted = /"(\/[^"]*)"/.exec(line)?.[1]
      if (!quoted || line.includes('Plugins_Dir')) continue
      assert.ok(quoted.startsWith(path.join(nfs.dataDir, 'nfs')), line)
    }
    for (const name of ['ganesha.log', 'ganesha.pid', 'recovery', 'run', 'exports', 'dbus.conf']) {
      await fs.access(path.join(nfs.dataDir, 'nfs', name))
    }
    const stat = await fs.stat(path.join(nfs.dataDir, 'nfs'))
    assert.equal(stat.mode & 0o777, 0o700)
  })

  test('ganesha is restarted with every export when it dies', async () => {
    const { id } = await createWorkspace(nfs)
    await putFile(nfs, id, 'still.txt', Buffer.from('here'))
    const pidFile = path.join(nfs.dataDir, 'nfs', 'ganesha.pid')
    const pid = await pidFromFile(pidFile)
    assert.ok(pid && processAlive(pid))
    process.kill(pid, 'SIGKILL')
    const deadline = Date.now() + 15_000
    let read = await run('nfs-cat', [nfsUrl(nfs.config, id, 'still.txt', 3)])
    while ((read.code !== 0 || (await pidFromFile(pidFile)) === pid) && Date.now() < deadline) {
      await sleep(200)
      read = await run('nfs-cat', [nfsUrl(nfs.config, id, 'still.txt', 3)])
    }
    assert.equal(read.code, 0, read.stderr)
    assert.equal(read.stdout.toString(), 'here')
    assert.notEqual(await pidFromFile(pidFile), pid)
    // A workspace created after the restart is exported by the new ganesha.
    const later = await createWorkspace(nfs)
    await putFile(nfs, later.id, 'x.txt', Buffer.from('x'))
    assert.equal((await run('nfs-cat', [nfsUrl(nfs.config, later.id, 'x.txt', 3)])).code, 0)
  })
})

describe('NFS across server restarts', { skip }, () => {
  test('exports are re-added from the store with the same export ids; close stops ganesha and its bus', async () => {
    const first = await nfsApp()
    try {
      const a = await createWorkspace(first)
      const b = await createWorkspace(first)
      await putFile(first, b.id, 'b.txt', Buffer.from('bee'))
      const exportsDir = path.join(first.dataDir, 'nfs', 'exports')
      const before = (await fs.readdir(exportsDir)).sort()
      const ganesha = await pidFromFile(path.join(first.dataDir, 'nfs', 'ganesha.pid'))
      const bus = await pidFromFile(path.join(first.dataDir, 'nfs', 'dbus.pid'))
      await first.close()
      assert.ok(ganesha && !processAlive(ganesha), 'ganesha stopped on close')
      assert.ok(bus && !processAlive(bus), 'dbus-daemon stopped on close')

      const second = await nfsApp({}, first.dataDir)
      try {
        assert.deepEqual((await fs.readdir(exportsDir)).sort(), before)
        const read = await run('nfs-cat', [nfsUrl(second.config, b.id, 'b.txt', 3)])
        assert.equal(read.code, 0, read.stderr)
        assert.equal(read.stdout.toString(), 'bee')
        const listing = await run('nfs-ls', [nfsUrl(second.config, a.id, '', 4)])
        assert.equal(listing.code, 0, listing.stderr)
      } finally {
        await second.close()
      }
    } finally {
      await first.close()
      await fs.rm(first.dataDir, { recursive: true, force: true })
    }
  })

  test('a workspace made while NFS was off is exported when NFS comes on', async () => {
    const off = await nfsApp({ WM_NFS_ENABLED: 'false' })
    const made = await createWorkspace(off)
    assert.equal(made.nfs_url, null)
    await off.close()
    const on = await nfsApp({}, off.dataDir)
    try {
      const got = await on.app.inject({ method: 'GET', url: `/v1/workspaces/${made.id}` })
      assert.match(got.json().nfs_url, /^nfs:\/\/127\.0\.0\.1:\d+\/workspaces\/ws_/)
      assert.equal((await run('nfs-ls', [nfsUrl(on.config, made.id, '', 3)])).code, 0)
    } finally {
      await on.close()
      await fs.rm(on.dataDir, { recursive: true, force: true })
    }
  })
})
