import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceError } from '../src/index.js'
import {
  findMount,
  parseBsdMount,
  parseMountinfo,
  parseProcMounts,
  unescapeField,
} from '../src/mount-table.js'
import {
  mergeOptions,
  mountArgv,
  normalizeVersion,
  parseNfsUrl,
  resolveNfsTarget,
  umountArgv,
  type NfsMountOptions,
} from '../src/nfs-command.js'

const URL = 'nfs://127.0.0.1:12049/workspaces/ws1'
const TARGET = { host: '127.0.0.1', port: 12049, exportPath: '/workspaces/ws1' }
const LINUX_V4 = 'vers=4.1,port=12049,proto=tcp,nosuid,nodev'
const LINUX_V3 = 'vers=3,port=12049,mountport=12050,mountproto=tcp,nolock,proto=tcp,nosuid,nodev'
const MAC_V4 = 'vers=4,port=12049,proto=tcp,resvport,nosuid,nodev'
const MAC_V3 = 'vers=3,port=12049,mountport=12050,nolocks,proto=tcp,resvport,nosuid,nodev'

const cases: [string, NfsMountOptions, string][] = [
  ['linux', {}, LINUX_V4],
  ['linux', { version: '3' }, LINUX_V3],
  ['linux', { version: 3 }, LINUX_V3],
  ['linux', { readOnly: true }, `${LINUX_V4},ro`],
  ['linux', { version: '3', readOnly: true }, `${LINUX_V3},ro`],
  ['linux', { version: '4.2' }, LINUX_V4.replace('4.1', '4.2')],
  ['darwin', {}, MAC_V4],
  ['darwin', { version: '4.0' }, MAC_V4],
  ['darwin', { version: '3' }, MAC_V3],
  ['darwin', { version: '3', readOnly: true }, `${MAC_V3},rdonly`],
  ['darwin', { readOnly: true }, `${MAC_V4},rdonly`],
]

describe('mount command lines', () => {
  for (const [platform, options, expected] of cases) {
    test(`${platform} ${JSON.stringify(options)}`, () => {
      assert.deepEqual(mountArgv(platform, TARGET, '/mnt/ws', options), [
        'mount',
        '-t',
        'nfs',
        '-o',
        expected,
        '127.0.0.1:/workspaces/ws1',
        '/mnt/ws',
      ])
    })
  }

  test('extra options replace by name or are appended; bad ones are refused', () => {
    const argv = mountArgv('linux', TARGET, '/m', {
      version: '3',
      options: ['mountport=2050', 'soft'],
    })
    assert.equal(argv[4], `${LINUX_V3.replace('12050', '2050')},soft`)
    assert.deepEqual(mergeOptions(['a=1', 'b'], ['a=2', 'c']), ['a=2', 'b', 'c'])
    for (const bad of ['a,b', 'has space', ''])
      assert.throws(() => mountArgv('linux', TARGET, '/m', { options: [bad] }), /mount option/)
  })

  test('versions', () => {
    assert.equal(normalizeVersion('v4'), '4')
    for (const bad of ['2', '5', '4.3', '', true, 'nfs4'])
      assert.throws(() => normalizeVersion(bad), /NFS version must be one of/)
  })

  test('v3 on the last port leaves the MOUNT port to rpcbind', () => {
    const argv = mountArgv('linux', { ...TARGET, port: 65535 }, '/m', { version: '3' })
    assert.doesNotMatch(argv[4] ?? '', /mountport/)
  })

  test('unsupported platforms and umount', () => {
    assert.throws(
      () => mountArgv('win32', TARGET, 'C:/ws'),
      (error: unknown) =>
        error instanceof WorkspaceError && error.details.reason === 'unsupported-platform',
    )
    assert.deepEqual(umountArgv('linux', '/mnt/ws'), ['umount', '/mnt/ws'])
    assert.deepEqual(umountArgv('darwin', '/Users/me/ws', true), ['umount', '-f', '/Users/me/ws'])
  })
})

describe('nfs_url and the client overrides', () => {
  test('parses host, port and path; IPv6 in brackets', () => {
    assert.deepEqual(parseNfsUrl(URL), TARGET)
    assert.deepEqual(parseNfsUrl('nfs://[::1]:2050/workspaces/a'), {
      host: '::1',
      port: 2050,
      exportPath: '/workspaces/a',
    })
    assert.equal(parseNfsUrl('nfs://h/workspaces/a%20b').port, 2049)
    assert.equal(parseNfsUrl('nfs://h/workspaces/a%20b').exportPath, '/workspaces/a b')
    for (const bad of ['http://h/x', 'nfs:///x', 'nfs://h:99999/x', 'x']) {
      assert.throws(
        () => parseNfsUrl(bad),
        (error: unknown) =>
          error instanceof WorkspaceError && error.details.reason === 'invalid-response',
      )
    }
  })

  test('an IPv6 host goes in brackets on both platforms', () => {
    const target = resolveNfsTarget('nfs://[fd00::1]:12049/workspaces/ws1')
    assert.equal(mountArgv('linux', target, '/m')[5], '[fd00::1]:/workspaces/ws1')
    assert.equal(mountArgv('darwin', target, '/m')[5], '[fd00::1]:/workspaces/ws1')
  })

  test('host and port settings override the URL; an unspecified address means the API host', () => {
    assert.deepEqual(resolveNfsTarget(URL, { host: 'nfs.example' }), {
      ...TARGET,
      host: 'nfs.example',
    })
    const argv = mountArgv('linux', resolveNfsTarget(URL, { host: '::1', port: 4049 }), '/m', {
      version: '3',
    })
    assert.match(argv[4] ?? '', /^vers=3,port=4049,mountport=4050,/)
    assert.equal(argv[5], '[::1]:/workspaces/ws1')
    const anywhere = 'nfs://0.0.0.0:12049/workspaces/ws1'
    assert.equal(resolveNfsTarget(anywhere, { apiHost: '10.1.2.3' }).host, '10.1.2.3')
    assert.equal(resolveNfsTarget('nfs://[::]:1/x', { apiHost: '[fd00::9]' }).host, 'fd00::9')
  })

  test('no nfs_url: NFS is off on the server', () => {
    assert.throws(
      () => resolveNfsTarget(null),
      (error: unknown) =>
        error instanceof WorkspaceError &&
        error.details.reason === 'nfs-disabled' &&
        /NFS is not enabled on the server/.test(error.message),
    )
  })
})

describe('mount tables', () => {
  const mountinfo = Buffer.from(
    [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '90 22 0:50 / /mnt/my\\040work\\011space\\134x\\012y rw - nfs4 127.0.0.1:/workspaces/ws1 rw',
      '91 22 0:51 / /home/me/ws rw shared:7 master:3 - nfs [::1]:/workspaces/ws2 rw,vers=3',
      '92 91 0:52 / /home/me/ws rw - tmpfs tmpfs rw',
      'garbage line',
      '93 22 0:53 / /short rw -',
      '94 22 0:54 / /mnt/\\303\\251t\\303\\251 rw - nfs h:/workspaces/ws3 rw',
      '',
    ].join('\n'),
  )

  test('mountinfo, with escapes and optional fields', () => {
    const entries = parseMountinfo(mountinfo)
    assert.equal(entries.length, 5)
    assert.deepEqual(entries[1], {
      mountPoint: '/mnt/my work\tspace\\x\ny',
      fstype: 'nfs4',
      source: '127.0.0.1:/workspaces/ws1',
    })
    assert.equal(entries[4]?.mountPoint, '/mnt/été')
    assert.equal(findMount(entries, '/home/me/ws')?.fstype, 'tmpfs') // the topmost wins
    assert.equal(findMount(entries, '/home/me'), undefined)
    assert.equal(unescapeField(Buffer.from('a\\040b\\9c')), 'a b\\9c')
  })

  test('/proc/mounts', () => {
    const text = Buffer.from(
      '/dev/sda1 / ext4 rw 0 0\nh:/workspaces/ws1 /mnt/a\\040b nfs4 rw 0 0\n',
    )
    assert.deepEqual(parseProcMounts(text)[1], {
      mountPoint: '/mnt/a b',
      fstype: 'nfs4',
      source: 'h:/workspaces/ws1',
    })
  })

  test('macOS mount output', () => {
    const text = [
      '/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)',
      'map auto_home on /System/Volumes/Data/home (autofs, automounted, nobrowse)',
      '127.0.0.1:/workspaces/ws1 on /Users/me/my ws (nfs, nodev, nosuid, mounted by me)',
      '[::1]:/workspaces/ws2 on /Users/me/on (x) (nfs)',
      'not a mount line',
    ].join('\n')
    assert.deepEqual(parseBsdMount(text), [
      { mountPoint: '/', fstype: 'apfs', source: '/dev/disk3s1s1' },
      { mountPoint: '/System/Volumes/Data/home', fstype: 'autofs', source: 'map auto_home' },
      { mountPoint: '/Users/me/my ws', fstype: 'nfs', source: '127.0.0.1:/workspaces/ws1' },
      { mountPoint: '/Users/me/on (x)', fstype: 'nfs', source: '[::1]:/workspaces/ws2' },
    ])
  })
})
