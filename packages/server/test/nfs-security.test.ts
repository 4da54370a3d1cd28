/**
 * An export never reaches outside its workspace: symlinks in a workspace are
 * returned as symlinks and never followed by the server, `..` at an export's
 * root stays at the root, exports of different workspaces are distinct, and
 * only allowed clients, from privileged ports, get in. Single protocol
 * operations go through a small raw NFSv3 client (test/helpers/nfs3.ts),
 * since libnfs resolves paths and symlinks on the client side.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { nfsApp, nfsSkipReason, nfsUrl, run, type NfsApp } from './helpers/nfs.js'
import { NF3DIR, NF3LNK, NFS3_OK, NFS3_STATUS, Nfs3Client } from './helpers/nfs3.js'

const skip = nfsSkipReason() ?? false

const status = (code: number) => NFS3_STATUS[code] ?? String(code)

describe('NFS exports stay inside their workspace', { skip }, () => {
  let nfs: NfsApp
  let client: Nfs3Client
  let a: string
  let b: string
  let passwd: string

  before(async () => {
    nfs = await nfsApp()
    const create = async () =>
      (await nfs.app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })).json().id
    a = await create()
    b = await create()
    const dirA = path.join(nfs.dataDir, 'workspaces', a)
    const dirB = path.join(nfs.dataDir, 'workspaces', b)
    await fs.writeFile(path.join(dirA, 'mine.txt'), 'workspace a\n')
    await fs.writeFile(path.join(dirB, 'secret.txt'), 'workspace b only\n')
    // What a sandbox could leave in its workspace.
    await fs.symlink('/etc', path.join(dirA, 'etc-link'))
    await fs.symlink('/etc/passwd', path.join(dirA, 'passwd-link'))
    await fs.symlink(`../${b}`, path.join(dirA, 'b-link'))
    await fs.symlink(dirB, path.join(dirA, 'b-abs-link'))
    passwd = await fs.readFile('/etc/passwd', 'utf8')
    client = await Nfs3Client.connect(
      nfs.config.nfs.host,
      nfs.config.nfs.port,
      nfs.config.nfs.mountPort,
    )
  })
  after(async () => {
    client?.close()
    await nfs?.close()
    if (nfs) await fs.rm(nfs.dataDir, { recursive: true, force: true })
  })

  async function rootOf(id: string): Promise<Buffer> {
    const mounted = await client.mount(`/workspaces/${id}`)
    assert.equal(mounted.status, 0, `MNT /workspaces/${id}`)
    return mounted.handle!
  }

  test('a symlink comes back as a symlink; the server never follows it', async () => {
    const root = await rootOf(a)
    for (const [name, target] of [
      ['etc-link', '/etc'],
      ['passwd-link', '/etc/passwd'],
      ['b-link', `../${b}`],
      ['b-abs-link', path.join(nfs.dataDir, 'workspaces', b)],
    ]) {
      const link = await client.lookup(root, name!)
      assert.equal(link.status, NFS3_OK, `LOOKUP ${name}`)
      assert.equal(link.attributes?.type, NF3LNK, `${name} is returned as a symlink`)
      assert.equal((await client.readlink(link.handle!)).target, target)
      const read = await client.read(link.handle!)
      assert.notEqual(read.status, NFS3_OK, `READ of ${name} itself must fail`)
      for (const inner of ['passwd', 'secret.txt', '..', '.']) {
        const through = await client.lookup(link.handle!, inner)
        assert.notEqual(
          through.status,
          NFS3_OK,
          `LOOKUP ${name}/${inner} answered ${status(through.status)}: the server followed the link`,
        )
      }
    }
  })

  test('over libnfs (v3 and v4), reading through the links never returns host or other-workspace content', async () => {
    for (const version of [3, 4] as const) {
      for (const file of ['etc-link/passwd', 'passwd-link', 'b-abs-link/secret.txt']) {
        const read = await run('nfs-cat', [nfsUrl(nfs.config, a, file, version)])
        const text = read.stdout.toString()
        assert.notEqual(read.code, 0, `v${version} ${file} was read: ${text.slice(0, 80)}`)
        assert.ok(!text.includes(passwd.slice(0, 20)) && !text.includes('workspace b only'))
      }
    }
  })

  test('`..` at an export root is the root itself, not the workspaces directory', async () => {
    const root = await rootOf(a)
    const rootAttributes = (await client.getattr(root)).attributes!
    let here = root
    for (let depth = 1; depth <= 3; depth++) {
      const up = await client.lookup(here, '..')
      if (up.status !== NFS3_OK) break // refusing is as good as staying
      assert.equal(up.attributes?.type, NF3DIR)
      assert.equal(up.attributes?.fileid, rootAttributes.fileid, `..^${depth} left the export`)
      const names = (await client.readdir(up.handle!)).names ?? []
      assert.ok(!names.includes(b), `..^${depth} lists the other workspace`)
      assert.ok(names.includes('mine.txt'))
      here = up.handle!
    }
  })

  test("one workspace's export cannot see another's", async () => {
    const rootA = await rootOf(a)
    const rootB = await rootOf(b)
    assert.notDeepEqual(rootA, rootB)
    const namesA = (await client.readdir(rootA)).names ?? []
    assert.ok(namesA.includes('mine.txt') && !namesA.includes('secret.txt'))
    const lookup = await client.lookup(rootA, 'secret.txt')
    assert.notEqual(lookup.status, NFS3_OK)
    const listing = await run('nfs-ls', [nfsUrl(nfs.config, a, '', 3)])
    assert.equal(listing.code, 0, listing.stderr)
    assert.doesNotMatch(listing.stdout.toString(), /secret\.txt/)
  })

  test('only the pseudo paths mount: not host paths, not the namespace above the workspaces', async () => {
    const hostDir = path.join(nfs.dataDir, 'workspaces', a)
    for (const exportPath of [
      hostDir,
      path.join(nfs.dataDir, 'workspaces'),
      nfs.dataDir,
      '/',
      '/etc',
      '/workspaces',
      `/workspaces/${a}/etc-link`,
      `/workspaces/${a}/../${b}/..`,
    ]) {
      const mounted = await client.mount(exportPath)
      assert.notEqual(mounted.status, 0, `MNT ${exportPath} was allowed`)
    }
  })

  test('a client on an unprivileged port is refused', async () => {
    const unprivileged = await Nfs3Client.connect(
      nfs.config.nfs.host,
      nfs.config.nfs.port,
      nfs.config.nfs.mountPort,
      false,
    )
    try {
      // MNT may still hand out the root handle (ganesha checks the port on
      // NFS operations); nothing can be done with it from there.
      const root = await rootOf(a)
      const read = await unprivileged.readdir(root).catch(() => ({ status: -1 }))
      assert.notEqual(read.status, NFS3_OK, 'READDIR from an unprivileged port was allowed')
      const attr = await unprivileged.getattr(root).catch(() => ({ status: -1 }))
      assert.notEqual(attr.status, NFS3_OK, 'GETATTR from an unprivileged port was allowed')
      const lookup = await unprivileged.lookup(root, 'mine.txt').catch(() => ({ status: -1 }))
      assert.notEqual(lookup.status, NFS3_OK, 'LOOKUP from an unprivileged port was allowed')
    } finally {
      unprivileged.close()
    }
  })
})

describe('NFS client networks', { skip }, () => {
  test('a client outside WM_NFS_CLIENTS cannot mount', async () => {
    const nfs = await nfsApp({ WM_NFS_CLIENTS: '10.123.0.0/16' })
    try {
      const id = (
        await nfs.app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
      ).json().id
      for (const version of [3, 4] as const) {
        const listing = await run('nfs-ls', [nfsUrl(nfs.config, id, '', version)])
        assert.notEqual(listing.code, 0, `v${version} listed from a client not allowed`)
      }
    } finally {
      await nfs.close()
      await fs.rm(nfs.dataDir, { recursive: true, force: true })
    }
  })
})
