import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import {
  NfsService,
  PermissionDeniedError,
  WorkspaceClient,
  WorkspaceError,
  WorkspaceNotFoundError,
  type CommandOutcome,
  type LocalSystem,
  type MountEntry,
} from '../src/index.js'
import { nodeSystem } from '../src/services/local-system.js'
import {
  replyError,
  replyJson,
  startTestServer,
  wireWorkspace,
  type TestServer,
} from './support/test-server.js'

const NFS_URL = 'nfs://127.0.0.1:12049/workspaces/ws1'
const V4 = 'vers=4.1,port=12049,proto=tcp,nosuid,nodev'

class FakeSystem implements LocalSystem {
  readonly calls: string[][] = []
  constructor(
    readonly platform = 'linux',
    readonly settings: {
      root?: boolean
      tools?: string[]
      table?: MountEntry[]
      outcome?: CommandOutcome
      spawnError?: string
    } = {},
  ) {}
  async run(argv: string[]): Promise<CommandOutcome> {
    this.calls.push(argv)
    if (this.settings.spawnError)
      throw Object.assign(new Error('spawn failed'), { code: this.settings.spawnError })
    return this.settings.outcome ?? { exitCode: 0, stdout: '', stderr: '' }
  }
  async findTool(name: string) {
    const tools = this.settings.tools ?? ['mount', 'umount', 'mount.nfs']
    return tools.includes(name) ? `/usr/sbin/${name}` : undefined
  }
  isRoot() {
    return this.settings.root ?? true
  }
  async mountTable() {
    return this.settings.table ?? []
  }
}

let server: TestServer
let nfsUrl: string | null
let status: number
let dir: string

before(async () => {
  server = await startTestServer((_request, response) => {
    if (status === 404) replyError(response, 404, 7001, 'workspace not found')
    else replyJson(response, 200, wireWorkspace('ws1', { nfs_url: nfsUrl }))
  })
})
beforeEach(async () => {
  ;[nfsUrl, status] = [NFS_URL, 200]
  server.requests.length = 0
  dir = await mkdtemp(join(tmpdir(), 'wm-nfs-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))
after(() => server.close())

function nfs(system: LocalSystem, options: { nfsHost?: string; nfsPort?: number } = {}) {
  const client = new WorkspaceClient({ apiUrl: server.url, env: {}, ...options })
  return new NfsService(client.workspace, client.config, system)
}

const reasonIs = (reason: string) => (error: unknown) =>
  error instanceof WorkspaceError && error.details.reason === reason

describe('client.nfs with a fake machine', () => {
  test('mount runs mount, makes the mount point and resolves to it', async () => {
    const system = new FakeSystem()
    const point = await nfs(system).mount('ws1', join(dir, 'a', 'b'))
    assert.equal(point, join(dir, 'a', 'b'))
    assert.ok(statSync(point).isDirectory())
    assert.deepEqual(system.calls, [
      ['mount', '-t', 'nfs', '-o', V4, '127.0.0.1:/workspaces/ws1', point],
    ])
    assert.equal(server.requests[0]?.url.pathname, '/v1/workspaces/ws1')
  })

  test('macOS v3 read-only, host and port from the client settings', async () => {
    const system = new FakeSystem('darwin')
    await nfs(system, { nfsHost: '::1', nfsPort: 3049 }).mount('ws1', dir, {
      version: '3',
      readOnly: true,
    })
    assert.equal(
      system.calls[0]?.[4],
      'vers=3,port=3049,mountport=3050,nolocks,proto=tcp,resvport,nosuid,nodev,rdonly',
    )
    assert.equal(system.calls[0]?.[5], '[::1]:/workspaces/ws1')
  })

  test('mountCommand runs nothing', async () => {
    const system = new FakeSystem()
    const argv = await nfs(system).mountCommand('ws1', '/mnt/x y', { readOnly: true })
    assert.deepEqual(argv, [
      'mount',
      '-t',
      'nfs',
      '-o',
      `${V4},ro`,
      '127.0.0.1:/workspaces/ws1',
      '/mnt/x y',
    ])
    assert.deepEqual(system.calls, [])
  })

  test('NFS off, a missing workspace, bad arguments', async () => {
    nfsUrl = null
    await assert.rejects(
      nfs(new FakeSystem()).mount('ws1', join(dir, 'm')),
      reasonIs('nfs-disabled'),
    )
    assert.equal(existsSync(join(dir, 'm')), false)
    status = 404
    await assert.rejects(nfs(new FakeSystem()).mount('ws1', dir), WorkspaceNotFoundError)
    server.requests.length = 0
    await assert.rejects(nfs(new FakeSystem()).mount('ws1', dir, { options: ['a b'] }), RangeError)
    await assert.rejects(
      nfs(new FakeSystem('win32')).mount('ws1', dir),
      reasonIs('unsupported-platform'),
    )
    assert.equal(server.requests.length, 0)
  })

  test('missing tools name the package', async () => {
    const system = new FakeSystem('linux', { tools: ['mount'] })
    await assert.rejects(nfs(system).mount('ws1', dir), /install nfs-common/)
    assert.deepEqual(system.calls, [])
    const noMount = new FakeSystem('linux', { spawnError: 'ENOENT' })
    await assert.rejects(nfs(noMount).mount('ws1', dir), /mount was not found: install util-linux/)
  })

  test('not root: PermissionDeniedError suggesting sudo; the mount point made is removed', async () => {
    const stderr = 'mount: /mnt/ws: must be superuser to use mount.\n'
    const system = new FakeSystem('linux', {
      root: false,
      outcome: { exitCode: 32, stdout: '', stderr },
    })
    await assert.rejects(nfs(system).mount('ws1', join(dir, 'new')), (error: unknown) => {
      assert.ok(error instanceof PermissionDeniedError)
      assert.match(error.message, /needs root.*sudo/)
      assert.equal(error.details.exitCode, 32)
      return error.details.reason === 'permission'
    })
    assert.equal(existsSync(join(dir, 'new')), false)
  })

  test('a failing mount carries its stderr and keeps an existing directory', async () => {
    const stderr = 'mount.nfs: Connection refused\n'
    const system = new FakeSystem('linux', { outcome: { exitCode: 32, stdout: '', stderr } })
    await assert.rejects(nfs(system).mount('ws1', dir), (error: unknown) => {
      assert.ok(!(error instanceof PermissionDeniedError))
      assert.match((error as Error).message, /exit code 32: mount\.nfs: Connection refused$/)
      return reasonIs('mount-failed')(error)
    })
    assert.ok(existsSync(dir))
  })

  test('mount point problems', async () => {
    await writeFile(join(dir, 'file'), 'x')
    await assert.rejects(nfs(new FakeSystem()).mount('ws1', join(dir, 'file')), /not a directory/)
    const taken = new FakeSystem('linux', {
      table: [{ mountPoint: dir, fstype: 'nfs4', source: 'h:/x' }],
    })
    await assert.rejects(nfs(taken).mount('ws1', dir), reasonIs('already-mounted'))
  })

  test('isMounted reads the table, resolves symlinks, and counts NFS only', async () => {
    const real = join(dir, 'real')
    await mkdir(real)
    await symlink(real, join(dir, 'link'))
    const table = [
      { mountPoint: real, fstype: 'nfs', source: 'h:/workspaces/ws1' },
      { mountPoint: '/t', fstype: 'tmpfs', source: 't' },
    ]
    const service = nfs(new FakeSystem('linux', { table }))
    assert.equal(await service.isMounted(real), true)
    assert.equal(await service.isMounted(join(dir, 'link')), true)
    assert.equal(await service.isMounted('/t'), false)
    assert.equal(await service.isMounted(dir), false)
  })

  test('isMounted on this machine', async () => {
    const service = nfs(nodeSystem())
    assert.equal(await service.isMounted(dir), false)
    assert.equal(await service.isMounted('/mnt/not-a-mount-point-xyz'), false)
    assert.equal(await service.isMounted('/'), false)
  })

  test('unmount and its errors', async () => {
    await symlink(dir, join(dir, 'link'))
    const table = [{ mountPoint: dir, fstype: 'nfs4', source: 'h:/workspaces/ws1' }]
    const system = new FakeSystem('linux', { table })
    await nfs(system).unmount(join(dir, 'link'))
    await nfs(system).unmount(dir, { force: true })
    assert.deepEqual(system.calls, [
      ['umount', dir],
      ['umount', '-f', dir],
    ])
    const disk = new FakeSystem('linux', {
      table: [{ mountPoint: dir, fstype: 'ext4', source: 'x' }],
    })
    await assert.rejects(nfs(disk).unmount(dir), reasonIs('not-mounted'))
    const busy = new FakeSystem('linux', {
      table,
      outcome: { exitCode: 32, stdout: '', stderr: 'umount: /x: target is busy.' },
    })
    await assert.rejects(nfs(busy).unmount(dir), /target is busy\. \(close the files/)
  })
})
