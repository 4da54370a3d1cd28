import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { mountOptions, renameNfsVersionFlag, shellQuote } from '../src/commands/nfs.js'
import { runWm, skipUnbuilt } from './support/run-wm.js'

const workspace = (id: string, nfsUrl: string | null) => ({
  id,
  name: null,
  metadata: null,
  nfs_url: nfsUrl,
  created_at: '2026-11-24T10:00:00.000Z',
  updated_at: '2026-11-24T10:00:00.000Z',
})
const replies: Record<string, unknown> = {
  '/v1/workspaces/ws1': workspace('ws1', 'nfs://127.0.0.1:12049/workspaces/ws1'),
  '/v1/workspaces/v6': workspace('v6', 'nfs://[fd00::1]:2049/workspaces/v6'),
  '/v1/workspaces/off': workspace('off', null),
}
const V4 = 'vers=4.1,port=12049,proto=tcp,nosuid,nodev'
const V3 = 'vers=3,port=12049,mountport=12050,mountproto=tcp,nolock,proto=tcp,nosuid,nodev'

describe('wm nfs argument handling', () => {
  test('--version after nfs mount becomes --nfs-version; nothing else changes', () => {
    const argv = ['node', 'wm', '--json', 'nfs', 'mount', 'ws', '/m', '--version', '3']
    assert.deepEqual(renameNfsVersionFlag(argv).slice(7), ['--nfs-version', '3'])
    assert.deepEqual(renameNfsVersionFlag(['node', 'wm', '--version']), ['node', 'wm', '--version'])
    const eq = renameNfsVersionFlag([
      'node',
      'wm',
      'nfs',
      'mount',
      '--version=4.2',
      '--',
      '--version',
    ])
    assert.deepEqual(eq.slice(4), ['--nfs-version=4.2', '--', '--version'])
  })

  test('flags to SDK options; shell quoting of --print', () => {
    assert.deepEqual(mountOptions({ nfsVersion: '3', ro: true, options: 'soft,timeo=50' }), {
      version: '3',
      readOnly: true,
      options: ['soft', 'timeo=50'],
    })
    assert.equal(shellQuote('vers=4.1,port=1'), 'vers=4.1,port=1')
    assert.equal(shellQuote('/mnt/my ws'), `'/mnt/my ws'`)
    assert.equal(shellQuote(`it's`), `'it'\\''s'`)
    assert.equal(shellQuote('[::1]:/workspaces/a'), `'[::1]:/workspaces/a'`)
  })
})

describe('wm nfs as a process', { skip: skipUnbuilt }, () => {
  let server: Server
  let env: Record<string, string>
  const linux = process.platform === 'linux'

  before(async () => {
    server = createServer((req, res) => {
      const body = replies[req.url ?? '']
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body ?? { error: { code: 7001, message: 'workspace not found' } }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    env = { WORKSPACE_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  test('url prints the nfs URL; --json the object', async () => {
    const human = await runWm(['nfs', 'url', 'ws1'], { env })
    assert.deepEqual([human.code, human.stdout], [0, 'nfs://127.0.0.1:12049/workspaces/ws1\n'])
    const json = await runWm(['--json', 'nfs', 'url', 'ws1'], { env })
    assert.deepEqual(JSON.parse(json.stdout), {
      id: 'ws1',
      nfsUrl: 'nfs://127.0.0.1:12049/workspaces/ws1',
    })
  })

  test('url with NFS off exits 1 with a clear error; a missing workspace exits 3', async () => {
    const off = await runWm(['nfs', 'url', 'off'], { env })
    assert.deepEqual([off.code, off.stdout], [1, ''])
    assert.match(off.stderr, /^wm: NFS is not enabled on the server/)
    const missing = await runWm(['nfs', 'url', 'nope'], { env })
    assert.equal(missing.code, 3)
  })

  test('mount --print prints the command and runs nothing', { skip: !linux }, async () => {
    const v4 = await runWm(['nfs', 'mount', 'ws1', '/mnt/ws', '--print'], { env })
    assert.equal(v4.code, 0, v4.stderr)
    assert.equal(v4.stdout, `mount -t nfs -o ${V4} 127.0.0.1:/workspaces/ws1 /mnt/ws\n`)
    const v3 = await runWm(
      ['nfs', 'mount', 'ws1', '/mnt/my ws', '--version', '3', '--ro', '--print'],
      {
        env,
      },
    )
    assert.equal(v3.stdout, `mount -t nfs -o ${V3},ro 127.0.0.1:/workspaces/ws1 '/mnt/my ws'\n`)
    const json = await runWm(['--json', 'nfs', 'mount', 'v6', '/m', '--print', '-o', 'soft'], {
      env,
    })
    assert.deepEqual(JSON.parse(json.stdout), [
      'mount',
      '-t',
      'nfs',
      '-o',
      'vers=4.1,port=2049,proto=tcp,nosuid,nodev,soft',
      '[fd00::1]:/workspaces/v6',
      '/m',
    ])
    const port = await runWm(['nfs', 'mount', 'ws1', '/m', '--print'], {
      env: { ...env, WM_NFS_HOST: 'nfs.example', WM_NFS_PORT: '3049' },
    })
    assert.match(
      port.stdout,
      /^mount -t nfs -o vers=4\.1,port=3049,.* nfs\.example:\/workspaces\/ws1 \/m\n$/,
    )
  })

  test('mount errors: NFS off, a bad version', async () => {
    const off = await runWm(['nfs', 'mount', 'off', '/m', '--print'], { env })
    assert.equal(off.code, 1)
    assert.match(off.stderr, /NFS is not enabled on the server/)
    const bad = await runWm(['nfs', 'mount', 'ws1', '/m', '--version', '2'], { env })
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /Allowed choices are 3, 4, 4\.0, 4\.1, 4\.2/)
  })

  test('umount of a directory that is not an NFS mount point exits 1', async () => {
    const result = await runWm(['nfs', 'umount', '/'], { env })
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^wm: \/ is not an NFS mount point \(code 9005\)\n$/)
  })
})
