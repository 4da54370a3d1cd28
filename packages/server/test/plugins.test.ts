import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import pino from 'pino'
import { buildApp, type AppDeps } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { loadPlugins } from '../src/plugins/index.js'
import { createWorkspace, tempDir, testApp } from './helpers/app.js'
import { containersOf, createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url))
const KINDS_MODULE = path.join(FIXTURES, 'kinds.ts')
const BROKEN_MODULE = path.join(FIXTURES, 'broken.ts')
const DOCKER_TIMEOUT = { timeout: 180_000 }

/** Builds an app with `env`, keeping its log lines; closed after the test. */
async function appWithLog(t: TestContext, env: Record<string, string>, deps: AppDeps = {}) {
  const lines: Array<Record<string, any>> = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const config = loadConfig({ WM_DATA_DIR: await tempDir(t), WM_NFS_ENABLED: 'false', ...env })
  const app = await buildApp(config, { logger: pino({ level: 'info' }, sink), ...deps })
  t.after(() => app.close())
  await app.ready()
  return { app, lines }
}

async function kinds(app: Awaited<ReturnType<typeof testApp>>['app']) {
  const response = await app.inject({ method: 'GET', url: '/v1/application-kinds' })
  assert.equal(response.statusCode, 200, response.body)
  return response.json().application_kinds as Array<{ kind: string; plugin: string }>
}

/** Removes a volume once the app (added before this) has closed and its sandboxes are gone. */
function removeVolumeAfter(t: TestContext, name: string): void {
  t.after(() =>
    docker
      .getVolume(name)
      .remove()
      .catch(() => undefined),
  )
}

/** A node_modules directory with packages declaring plugins in their package.json. */
async function fakeNodeModules(t: TestContext): Promise<string> {
  const root = path.join(await tempDir(t), 'node_modules')
  const write = async (dir: string, manifest: object, entry?: string) => {
    await fs.mkdir(path.join(root, dir), { recursive: true })
    await fs.writeFile(path.join(root, dir, 'package.json'), JSON.stringify(manifest))
    if (entry) await fs.writeFile(path.join(root, dir, 'entry.mjs'), entry)
  }
  await write(
    '@acme/wm-plugin',
    { name: '@acme/wm-plugin', workspaceManager: { plugins: { 'acme.kinds': './entry.mjs' } } },
    "export default { name: 'acme', kinds: [{ kind: 'acme-app', template: 'acme:1' }] }\n",
  )
  await write(
    'other-group',
    { name: 'other-group', workspaceManager: { plugins: { 'someone.else': './entry.mjs' } } },
    "throw new Error('a package of another group must not be imported')\n",
  )
  await write('plain', { name: 'plain' })
  await write('escaping', {
    name: 'escaping',
    workspaceManager: { plugins: { 'acme.kinds': '../plain/package.json' } },
  })
  return root
}

test('WM_PLUGINS_MODULES loads a module; GET /v1/application-kinds lists every kind', async (t) => {
  const { app } = await testApp(t, { WM_PLUGINS_MODULES: KINDS_MODULE })
  assert.deepEqual(await kinds(app), [
    { kind: 'fixture-env', plugin: 'fixture', template: 'workspace-test:latest' },
    { kind: 'fixture-never-ready', plugin: 'fixture', template: 'workspace-test:latest' },
    { kind: 'fixture-refused', plugin: 'fixture', template: null },
    { kind: 'splunk', plugin: 'splunk', template: 'wm-splunk-standin:latest' },
  ])
  // A relative specifier is taken from the working directory.
  const relative = path.relative(process.cwd(), KINDS_MODULE)
  const { app: second } = await testApp(t, { WM_PLUGINS_MODULES: `./${relative}` })
  assert.ok((await kinds(second)).some((kind) => kind.kind === 'fixture-env'))
})

test('installed packages declaring a plugin for a WM_PLUGINS_ENTRYPOINT_GROUPS group are loaded', async (t) => {
  const nodeModules = await fakeNodeModules(t)
  const { app, lines } = await appWithLog(
    t,
    { WM_PLUGINS_ENTRYPOINT_GROUPS: 'acme.kinds' },
    { pluginSearchPaths: [nodeModules] },
  )
  assert.deepEqual(
    (await kinds(app)).map((kind) => [kind.kind, kind.plugin]),
    [
      ['acme-app', 'acme'],
      ['splunk', 'splunk'],
    ],
  )
  const warnings = lines.filter((line) => line.msg === 'plugin skipped')
  assert.equal(warnings.length, 1)
  assert.match(
    warnings[0]!.plugin_error,
    /package escaping \(acme\.kinds\): the entry must be a path inside the package/,
  )

  // The default group finds nothing here.
  const config = loadConfig({})
  const loaded = await loadPlugins({
    config: config.plugins,
    builtins: [],
    log: pino({ level: 'silent' }),
    searchPaths: [nodeModules],
  })
  assert.deepEqual(loaded, [])
})

test('WM_PLUGINS_ALLOWLIST and WM_PLUGINS_DENYLIST select plugins by name; the deny list wins', async (t) => {
  const only = await testApp(t, {
    WM_PLUGINS_MODULES: KINDS_MODULE,
    WM_PLUGINS_ALLOWLIST: 'fixture',
  })
  assert.deepEqual([...new Set((await kinds(only.app)).map((kind) => kind.plugin))], ['fixture'])
  const denied = await testApp(t, {
    WM_PLUGINS_MODULES: KINDS_MODULE,
    WM_PLUGINS_DENYLIST: 'splunk',
  })
  assert.deepEqual([...new Set((await kinds(denied.app)).map((kind) => kind.plugin))], ['fixture'])
  const both = await testApp(t, {
    WM_PLUGINS_MODULES: KINDS_MODULE,
    WM_PLUGINS_ALLOWLIST: 'fixture,splunk',
    WM_PLUGINS_DENYLIST: 'fixture',
  })
  assert.deepEqual(
    (await kinds(both.app)).map((kind) => kind.kind),
    ['splunk'],
  )
})

test('a plugin that fails to load is skipped with a warning, or fatal with WM_PLUGINS_FAIL_FAST', async (t) => {
  const notAPlugin = path.join(FIXTURES, 'not-a-plugin.ts')
  const { app, lines } = await appWithLog(t, {
    WM_PLUGINS_MODULES: `${BROKEN_MODULE},${notAPlugin},${KINDS_MODULE},no-such-package-anywhere`,
  })
  assert.ok((await kinds(app)).some((kind) => kind.kind === 'fixture-env'))
  const warnings = lines.filter((line) => line.msg === 'plugin skipped').map((l) => l.plugin_error)
  assert.equal(warnings.length, 3, warnings.join('\n'))
  assert.match(warnings[0], /broken\.ts: the broken fixture plugin failed to load/)
  assert.match(warnings[1], /not-a-plugin\.ts: the plugin's name must be/)
  assert.match(warnings[2], /no-such-package-anywhere/)
  assert.equal(
    lines.find((line) => line.msg === 'plugin loaded' && line.plugin === 'fixture')?.source,
    `module ${KINDS_MODULE}`,
  )

  const config = loadConfig({
    WM_DATA_DIR: await tempDir(t),
    WM_NFS_ENABLED: 'false',
    WM_PLUGINS_MODULES: `${KINDS_MODULE},${BROKEN_MODULE}`,
    WM_PLUGINS_FAIL_FAST: 'true',
  })
  await assert.rejects(buildApp(config, { logger: pino({ level: 'silent' }) }), (error: Error) => {
    assert.match(error.message, /WM_PLUGINS_FAIL_FAST=true/)
    assert.match(error.message, /broken\.ts: the broken fixture plugin failed to load/)
    return true
  })
})

test('two plugins cannot provide the same kind or share a name', async (t) => {
  const copy = path.join(await tempDir(t), 'copy.ts')
  await fs.writeFile(
    copy,
    (await fs.readFile(KINDS_MODULE, 'utf8')).replace(
      /'\.\.\/\.\.\/\.\.\/src/g,
      `'${path.resolve('src')}`,
    ),
  )
  const { lines } = await appWithLog(t, { WM_PLUGINS_MODULES: `${KINDS_MODULE},${copy}` })
  const warnings = lines.filter((line) => line.msg === 'plugin skipped').map((l) => l.plugin_error)
  assert.equal(warnings.length, 1)
  assert.match(warnings[0], /a plugin named fixture came already from module/)
})

test('WM_PLUGINS_ENABLED=false loads no plugin, not even the built-in one', async (t) => {
  const { app } = await testApp(t, {
    WM_PLUGINS_ENABLED: 'false',
    WM_PLUGINS_MODULES: BROKEN_MODULE,
    WM_PLUGINS_FAIL_FAST: 'true',
  })
  assert.deepEqual(await kinds(app), [])
  const workspaceId = await createWorkspace(app)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId, application_kind: 'splunk' },
  })
  assert.equal(response.statusCode, 400)
  assert.equal(response.json().error.code, 1001)
  assert.match(response.json().error.message, /application_kind "splunk" is unknown.*known: none/)
})

test('an unknown application_kind, or a kind that refuses, is 400 1001 and nothing is created', async (t) => {
  const { app } = await testApp(t, { WM_PLUGINS_MODULES: KINDS_MODULE })
  const workspaceId = await createWorkspace(app)
  for (const [kind, message] of [
    [
      'nope',
      /application_kind "nope" is unknown, which no loaded plugin provides \(known: fixture-env, /,
    ],
    [
      'fixture-refused',
      /application kind fixture-refused cannot be used: set FIXTURE_SECRET first/,
    ],
  ] as const) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, application_kind: kind },
    })
    assert.equal(response.statusCode, 400, response.body)
    assert.equal(response.json().error.code, 1001)
    assert.match(response.json().error.message, message)
  }
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(listed.json().sandboxes, [])
})

test('WORKSPACE_APPLICATION_KIND naming no kind: a warning, or fatal with WM_PLUGINS_FAIL_FAST', async (t) => {
  const { app, lines } = await appWithLog(t, { WORKSPACE_APPLICATION_KIND: 'ghost' })
  assert.ok(
    lines.some((line) =>
      /WORKSPACE_APPLICATION_KIND=ghost names a kind no loaded plugin provides/.test(line.msg),
    ),
  )
  const workspaceId = await createWorkspace(app)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId },
  })
  assert.equal(response.statusCode, 400)
  assert.match(
    response.json().error.message,
    /WORKSPACE_APPLICATION_KIND names the application kind "ghost"/,
  )

  const config = loadConfig({
    WM_DATA_DIR: await tempDir(t),
    WM_NFS_ENABLED: 'false',
    WORKSPACE_APPLICATION_KIND: 'ghost',
    WM_PLUGINS_FAIL_FAST: 'true',
  })
  await assert.rejects(
    buildApp(config, { logger: pino({ level: 'silent' }) }),
    /WORKSPACE_APPLICATION_KIND=ghost/,
  )
})

test(
  'a kind sets template, env under the request env, the tools volume and readiness; its routes live under /v1',
  DOCKER_TIMEOUT,
  async (t) => {
    const toolsVolume = `wm_test_tools_${randomBytes(4).toString('hex')}`
    const { app } = await sandboxApp(t, {
      WM_PLUGINS_MODULES: KINDS_MODULE,
      // Proves the kind's template is used when the request names none.
      WORKSPACE_DEFAULT_IMAGE: 'wm-no-such-image:never',
      WORKSPACE_TOOLS_VOLUME: toolsVolume,
      WORKSPACE_API_KEY: 'k'.repeat(32),
    })
    removeVolumeAfter(t, toolsVolume)
    const headers = { 'x-api-key': 'k'.repeat(32) }
    const workspace = await app.inject({
      method: 'POST',
      url: '/v1/workspaces',
      headers,
      payload: {},
    })
    const created = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      headers,
      payload: {
        workspace_id: workspace.json().id,
        application_kind: 'fixture-env',
        env: { OVERRIDE: 'request' },
      },
    })
    assert.equal(created.statusCode, 201, created.body)
    const sandbox = created.json()
    t.after(() =>
      docker
        .getContainer(`wm_ws_${sandbox.id}`)
        .remove({ force: true })
        .catch(() => undefined),
    )
    assert.equal(sandbox.template, 'workspace-test:latest')
    assert.equal(sandbox.application_kind, 'fixture-env')
    assert.deepEqual(sandbox.env, { OVERRIDE: 'request' }, "the kind's env is not stored nor shown")

    const exec = async (script: string) => {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/sandboxes/${sandbox.id}/processes`,
        headers,
        payload: { cmd: 'sh', args: ['-c', script] },
      })
      return response.json()
    }
    assert.equal((await exec('echo "$FIXTURE_VAR $OVERRIDE"')).stdout, 'from-kind request\n')
    assert.equal((await exec('test -e /tmp/ready && echo ran-twice')).stdout, 'ran-twice\n')
    const write = await exec('test -d /opt/tools && touch /opt/tools/x')
    assert.notEqual(write.exit_code, 0)
    assert.match(write.stderr, /Read-only file system/)
    const volume = await docker.getVolume(toolsVolume).inspect()
    assert.equal(volume.Name, toolsVolume)
    const mounts = (await docker.getContainer(`wm_ws_${sandbox.id}`).inspect()).Mounts
    assert.ok(mounts.some((m) => m.Name === toolsVolume && m.Destination === '/opt/tools' && !m.RW))

    const hello = await app.inject({
      method: 'GET',
      url: `/v1/fixture/sandboxes/${sandbox.id}/hello`,
      headers,
    })
    assert.equal(hello.statusCode, 200, hello.body)
    assert.deepEqual(hello.json(), { kind: 'fixture-env', said: 'from-kind' })
    const anonymous = await app.inject({
      method: 'GET',
      url: `/v1/fixture/sandboxes/${sandbox.id}/hello`,
    })
    assert.equal(anonymous.statusCode, 401)

    const deleted = await app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${sandbox.id}?force=true`,
      headers,
    })
    assert.equal(deleted.statusCode, 204)
  },
)

test(
  'WORKSPACE_APPLICATION_KIND is the kind of creates that name none',
  DOCKER_TIMEOUT,
  async (t) => {
    const toolsVolume = `wm_test_tools_${randomBytes(4).toString('hex')}`
    const { app } = await sandboxApp(t, {
      WM_PLUGINS_MODULES: KINDS_MODULE,
      WORKSPACE_APPLICATION_KIND: 'fixture-env',
      WORKSPACE_TOOLS_VOLUME: toolsVolume,
    })
    removeVolumeAfter(t, toolsVolume)
    const { sandboxId, sandbox } = await createSandbox(t, app)
    assert.equal(sandbox.application_kind, 'fixture-env')
    const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'echo "$FIXTURE_VAR"'] })
    assert.equal(result.json.stdout, 'from-kind\n')
  },
)

test(
  'a sandbox that never passes its readiness check fails with a clear error and leaves nothing',
  DOCKER_TIMEOUT,
  async (t) => {
    const { app, config } = await sandboxApp(t, { WM_PLUGINS_MODULES: KINDS_MODULE })
    const workspaceId = await createWorkspace(app)
    const started = Date.now()
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, application_kind: 'fixture-never-ready' },
    })
    assert.equal(response.statusCode, 503, response.body)
    assert.equal(response.json().error.code, 3003)
    assert.match(
      response.json().error.message,
      /application kind fixture-never-ready was not ready within 2 s: its readiness check \(sh\) did not pass; last time it exited with code 3: not yet/,
    )
    assert.ok(Date.now() - started < 20_000)
    assert.deepEqual(
      (await app.inject({ method: 'GET', url: '/v1/sandboxes' })).json().sandboxes,
      [],
    )
    assert.deepEqual(await containersOf(config), [])
  },
)
