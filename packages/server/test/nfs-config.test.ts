/**
 * NFS configuration (WM_NFS_*), what ganesha is told, and NFS being off:
 * none of these start ganesha.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { ConfigError, loadConfig } from '../src/config/index.js'
import {
  nfsPaths,
  quote,
  renderBusConfig,
  renderExport,
  renderGaneshaConfig,
} from '../src/nfs/ganesha-config.js'
import { testApp, tempDir } from './helpers/app.js'

test('NFS defaults: on, 127.0.0.1:12049, mount port 12050, loopback clients only', () => {
  const { nfs } = loadConfig({})
  assert.deepEqual(nfs, {
    enabled: true,
    required: false,
    host: '127.0.0.1',
    port: 12049,
    mountPort: 12050,
    clients: ['127.0.0.1/32', '::1'],
    publicHost: '127.0.0.1',
  })
})

test('every WM_NFS_* variable is read', () => {
  const { nfs } = loadConfig({
    WM_NFS_ENABLED: 'true',
    WM_NFS_HOST: '0.0.0.0',
    WM_NFS_PORT: '2049',
    WM_NFS_MOUNT_PORT: '20048',
    WM_NFS_CLIENTS: '10.0.0.0/8, 192.168.1.7 ,fd00::/8',
    WM_NFS_PUBLIC_HOST: 'files.example.internal',
  })
  assert.deepEqual(nfs, {
    enabled: true,
    required: true,
    host: '0.0.0.0',
    port: 2049,
    mountPort: 20048,
    clients: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'],
    publicHost: 'files.example.internal',
  })
  assert.equal(loadConfig({ WM_NFS_PORT: '3000' }).nfs.mountPort, 3001)
  assert.equal(loadConfig({ WM_NFS_ENABLED: 'false' }).nfs.enabled, false)
})

test('bad WM_NFS_* values name the variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ WM_NFS_ENABLED: 'maybe' }, 'WM_NFS_ENABLED'],
    [{ WM_NFS_PORT: '0' }, 'WM_NFS_PORT'],
    [{ WM_NFS_PORT: '70000' }, 'WM_NFS_PORT'],
    [{ WM_NFS_PORT: '3000', WM_NFS_MOUNT_PORT: '3000' }, 'WM_NFS_MOUNT_PORT'],
    [{ WM_NFS_HOST: 'localhost' }, 'WM_NFS_HOST'],
    [{ WM_NFS_CLIENTS: '10.0.0.0/33' }, 'WM_NFS_CLIENTS'],
    [{ WM_NFS_CLIENTS: '*' }, 'WM_NFS_CLIENTS'],
    [{ WM_NFS_CLIENTS: '127.0.0.1; rm -rf /' }, 'WM_NFS_CLIENTS'],
    [{ WM_NFS_CLIENTS: '10.0.0.0/8/8' }, 'WM_NFS_CLIENTS'],
  ]
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && error.variable === variable,
      JSON.stringify(env),
    )
  }
})

test('an export block: one workspace, pseudo path, RW only for the listed clients, squashed, privileged port', () => {
  const text = renderExport(
    { exportId: 7, workspaceId: 'ws_abc', dir: '/srv/wm/workspaces/ws_abc' },
    { clients: ['127.0.0.1/32', '::1'], anonUid: 0, anonGid: 0 },
  )
  assert.match(text, /Export_Id = 7;/)
  assert.match(text, /Path = "\/srv\/wm\/workspaces\/ws_abc";/)
  assert.match(text, /Pseudo = "\/workspaces\/ws_abc";/)
  assert.match(text, /^ {2}Access_Type = None;$/m)
  assert.match(text, /CLIENT \{\n {4}Clients = 127\.0\.0\.1\/32, ::1;\n {4}Access_Type = RW;/)
  assert.match(text, /Squash = all_squash;/)
  assert.match(text, /PrivilegedPort = true;/)
  assert.match(text, /Transports = TCP;/)
  assert.match(text, /Name = VFS;/)
})

test('the main configuration keeps every state file under the data dir', () => {
  const paths = nfsPaths('/srv/wm')
  const text = renderGaneshaConfig(paths, {
    host: '127.0.0.1',
    port: 12049,
    mountPort: 12050,
    pluginsDir: '/usr/lib/x86_64-linux-gnu/ganesha',
    exportFiles: ['/srv/wm/nfs/exports/1.conf'],
  })
  assert.match(text, /NFS_Port = 12049;/)
  assert.match(text, /MNT_Port = 12050;/)
  assert.match(text, /Bind_Addr = 127\.0\.0\.1;/)
  assert.match(text, /RecoveryRoot = "\/srv\/wm\/nfs\/recovery";/)
  assert.match(text, /CCacheDir = "\/srv\/wm\/nfs\/run";/)
  assert.match(text, /Enable_NLM = false;/)
  assert.match(text, /Enable_UDP = false;/)
  assert.match(text, /%include "\/srv\/wm\/nfs\/exports\/1\.conf"/)
  assert.doesNotMatch(text, /\/var\/|\/etc\//)
  assert.match(
    renderBusConfig('unix:path=/srv/wm/nfs/dbus.sock'),
    /<allow own="org.ganesha.nfsd"\/>/,
  )
  assert.throws(() => quote('a"b'))
  assert.throws(() => quote('a\nb'))
})

test('NFS off: nfs_url is null and no ganesha is started', async (t) => {
  const { app, config } = await testApp(t, { WM_NFS_ENABLED: 'false' })
  const created = await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
  assert.equal(created.json().nfs_url, null)
  const listed = await app.inject({ method: 'GET', url: '/v1/workspaces' })
  assert.equal(listed.json().workspaces[0].nfs_url, null)
  const fs = await import('node:fs/promises')
  await assert.rejects(fs.access(`${config.dataDir}/nfs`), { code: 'ENOENT' })
})

test('ganesha not installed: NFS is off with a warning, unless WM_NFS_ENABLED=true', async (t) => {
  const lines: string[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
  const missing = { missing: ['ganesha.nfsd (Debian package nfs-ganesha)'] }
  const config = loadConfig({ WM_DATA_DIR: await tempDir(t) })
  const app = await buildApp(config, { logger, nfsTools: missing })
  t.after(() => app.close())
  const created = await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
  assert.equal(created.statusCode, 201)
  assert.equal(created.json().nfs_url, null)
  assert.ok(
    lines.some((line) => /NFS is off .*ganesha\.nfsd .*ensure-nfs\.sh/.test(line)),
    lines.join(''),
  )

  const required = loadConfig({ WM_DATA_DIR: await tempDir(t), WM_NFS_ENABLED: 'true' })
  await assert.rejects(
    buildApp(required, { logger: pino({ level: 'silent' }), nfsTools: missing }),
    /WM_NFS_ENABLED=true but NFS needs ganesha\.nfsd/,
  )
})
