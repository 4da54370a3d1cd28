import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { loadConfig, ConfigError } from '../src/config/index.js'
import { parseCpu, parseMemory } from '../src/config/parse.js'

test('defaults follow the seed table, with /workspace and 127.0.0.1:8080', () => {
  const config = loadConfig({})
  assert.equal(config.host, '127.0.0.1')
  assert.equal(config.port, 8080)
  assert.equal(config.dataDir, path.resolve('./data'))
  assert.equal(config.version, '0.1.0')
  assert.deepEqual(config.auth, { apiKeys: [], header: 'x-api-key' })
  assert.deepEqual(config.corsOrigins, ['*'])
  assert.equal(config.maxFileTransferBytes, 1073741824)
  assert.equal(config.sandboxDefaults.image, 'ubuntu:22.04')
  assert.equal(config.sandboxDefaults.nanoCpus, 1e9)
  assert.equal(config.sandboxDefaults.memoryBytes, 2 * 1024 ** 3)
  assert.equal(config.sandboxDefaults.networkMode, 'none')
  assert.equal(config.sandboxDefaults.containerWorkspaceDir, '/workspace')
  assert.equal(config.sandboxDefaults.containerPrefix, 'wm_ws_')
  assert.equal(config.sandboxDefaults.stopTimeoutSeconds, 5)
  assert.equal(config.sandboxDefaults.toolsVolume, 'wm_tools_cache')
  assert.equal(config.sandboxDefaults.applicationKind, null)
  assert.equal(config.checkpointsEnabled, true)
  assert.deepEqual(config.janitor, {
    idleTtlSeconds: 7200,
    intervalSeconds: 3600,
    idleAction: 'delete',
  })
  assert.deepEqual(config.docker, { clientTimeoutSeconds: 180, platform: null, host: null })
  assert.deepEqual(config.uploadTokens, {
    secret: 'dev-upload-token-secret',
    header: 'authorization',
    queryParam: 'token',
    ttlSeconds: 900,
  })
  assert.deepEqual(config.plugins, {
    enabled: true,
    entrypointGroups: ['wm_server.app_plugins'],
    modules: [],
    allowlist: [],
    denylist: [],
    failFast: false,
  })
  assert.deepEqual(config.splunk, { username: null, password: null })
  assert.deepEqual(config.logging, {
    level: 'info',
    file: null,
    maxBytes: 10485760,
    backupCount: 10,
    console: false,
  })
})

test('every variable is read', () => {
  const config = loadConfig({
    WM_HOST: '0.0.0.0',
    WM_PORT: '9999',
    WM_DATA_DIR: '/srv/wm',
    WORKSPACE_MANAGER_VERSION: '9.9.9',
    WORKSPACE_API_KEY: 'a',
    WORKSPACE_API_KEYS: 'b, c,a',
    WORKSPACE_API_KEY_HEADER: 'X-Token',
    CORS_ALLOW_ORIGINS: 'https://a.example, https://b.example',
    WM_MAX_FILE_TRANSFER_BYTES: '1000',
    WORKSPACE_DEFAULT_IMAGE: 'workspace-test:latest',
    WORKSPACE_DEFAULT_CPU: '1500m',
    WORKSPACE_DEFAULT_MEM: '512m',
    WORKSPACE_NETWORK_MODE: 'bridge',
    CONTAINER_WORKSPACE_DIR: '/tmp/workspace',
    WORKSPACE_APPLICATION_KIND: 'splunk',
    WORKSPACE_CONTAINER_PREFIX: 'x_',
    WORKSPACE_ENABLE_CHECKPOINTS: 'false',
    WORKSPACE_STOP_TIMEOUT_SECONDS: '2',
    WORKSPACE_IDLE_TTL_SECONDS: '60',
    WORKSPACE_IDLE_ACTION: 'pause',
    WORKSPACE_JANITOR_INTERVAL_SECONDS: '30',
    WORKSPACE_TOOLS_VOLUME: 'tools',
    WORKSPACE_PORT_PROXY_HOST: 'proxy.local',
    DOCKER_CLIENT_TIMEOUT: '20',
    DOCKER_PLATFORM: 'linux/amd64',
    DOCKER_HOST: 'unix:///run/docker.sock',
    WORKSPACE_UPLOAD_TOKEN_SECRET: 's3cret',
    WORKSPACE_UPLOAD_TOKEN_HEADER: 'X-Upload-Token',
    WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM: 't',
    WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS: '60',
    WM_PLUGINS_ENABLED: 'no',
    WM_PLUGINS_ENTRYPOINT_GROUPS: 'g1,g2',
    WM_PLUGINS_MODULES: 'm1',
    WM_PLUGINS_ALLOWLIST: 'splunk',
    WM_PLUGINS_DENYLIST: 'x',
    WM_PLUGINS_FAIL_FAST: 'true',
    SPLUNK_USERNAME: ' admin ',
    SPLUNK_PASSWORD: ' kept as is ',
    WM_LOG_LEVEL: 'WARNING',
    WM_LOG_DIR: '/var/log/wm',
    WM_LOG_NAME: 'server.log',
    WM_LOG_MAX_BYTES: '2048',
    WM_LOG_BACKUP_COUNT: '3',
    WM_CONSOLE: '1',
    WM_RUNTIME: 'runsc',
  })
  assert.equal(config.host, '0.0.0.0')
  assert.equal(config.port, 9999)
  assert.equal(config.dataDir, '/srv/wm')
  assert.equal(config.version, '9.9.9')
  assert.deepEqual(config.auth, { apiKeys: ['a', 'b', 'c'], header: 'x-token' })
  assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example'])
  assert.equal(config.maxFileTransferBytes, 1000)
  assert.equal(config.sandboxDefaults.image, 'workspace-test:latest')
  assert.equal(config.sandboxDefaults.nanoCpus, 1.5e9)
  assert.equal(config.sandboxDefaults.memoryBytes, 512 * 1024 ** 2)
  assert.equal(config.sandboxDefaults.networkMode, 'bridge')
  assert.equal(config.sandboxDefaults.containerWorkspaceDir, '/tmp/workspace')
  assert.equal(config.sandboxDefaults.applicationKind, 'splunk')
  assert.equal(config.sandboxDefaults.containerPrefix, 'x_')
  assert.equal(config.sandboxDefaults.stopTimeoutSeconds, 2)
  assert.equal(config.sandboxDefaults.toolsVolume, 'tools')
  assert.equal(config.sandboxDefaults.runtime, 'runsc')
  assert.equal(config.checkpointsEnabled, false)
  assert.deepEqual(config.janitor, { idleTtlSeconds: 60, intervalSeconds: 30, idleAction: 'pause' })
  assert.equal(config.portProxyHost, 'proxy.local')
  assert.deepEqual(config.docker, {
    clientTimeoutSeconds: 20,
    platform: 'linux/amd64',
    host: 'unix:///run/docker.sock',
  })
  assert.deepEqual(config.uploadTokens, {
    secret: 's3cret',
    header: 'x-upload-token',
    queryParam: 't',
    ttlSeconds: 60,
  })
  assert.deepEqual(config.plugins, {
    enabled: false,
    entrypointGroups: ['g1', 'g2'],
    modules: ['m1'],
    allowlist: ['splunk'],
    denylist: ['x'],
    failFast: true,
  })
  assert.deepEqual(config.splunk, { username: 'admin', password: ' kept as is ' })
  assert.deepEqual(config.logging, {
    level: 'warn',
    file: '/var/log/wm/server.log',
    maxBytes: 2048,
    backupCount: 3,
    console: true,
  })
})

test('WM_LOG_FILE wins over WM_LOG_DIR, and WM_LOG_LEVEL over LOG_LEVEL', () => {
  const config = loadConfig({
    WM_LOG_FILE: '/tmp/a.log',
    WM_LOG_DIR: '/tmp/other',
    LOG_LEVEL: 'ERROR',
    WM_LOG_LEVEL: 'debug',
  })
  assert.equal(config.logging.file, '/tmp/a.log')
  assert.equal(config.logging.level, 'debug')
  assert.equal(loadConfig({ LOG_LEVEL: 'ERROR' }).logging.level, 'error')
  assert.equal(loadConfig({ LOG_LEVEL: 'CRITICAL' }).logging.level, 'fatal')
})

test('WORKSPACE_IDLE_ACTION is delete, stop or pause', () => {
  assert.equal(loadConfig({ WORKSPACE_IDLE_ACTION: 'stop' }).janitor.idleAction, 'stop')
  assert.throws(
    () => loadConfig({ WORKSPACE_IDLE_ACTION: 'hibernate' }),
    /WORKSPACE_IDLE_ACTION.*expected one of delete, stop, pause/,
  )
})

test('the janitor interval has a floor of 10 seconds', () => {
  assert.equal(loadConfig({ WORKSPACE_JANITOR_INTERVAL_SECONDS: '1' }).janitor.intervalSeconds, 10)
})

test('WM_DATABASE_URL selects PostgreSQL and is never quoted back in an error', () => {
  const defaults = loadConfig({})
  assert.deepEqual([defaults.databaseUrl, defaults.databasePoolSize], [null, 10])
  const url = 'postgresql://wm:s3cret@db.example:5432/wm'
  const config = loadConfig({ WM_DATABASE_URL: url, WM_DATABASE_POOL_SIZE: '25' })
  assert.deepEqual([config.databaseUrl, config.databasePoolSize], [url, 25])
  assert.throws(
    () => loadConfig({ WM_DATABASE_URL: 'mysql://wm:s3cret@db/wm' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message.includes('WM_DATABASE_URL') &&
      !error.message.includes('s3cret'),
  )
})

const invalid: Array<[string, string]> = [
  ['WORKSPACE_DEFAULT_MEM', 'lots'],
  ['WORKSPACE_DEFAULT_MEM', '1k'],
  ['WORKSPACE_DEFAULT_CPU', 'fast'],
  ['WORKSPACE_DEFAULT_CPU', '0c'],
  ['WORKSPACE_DEFAULT_MEM', '99999999999999t'],
  ['WORKSPACE_DEFAULT_IMAGE', 'Ubuntu:22.04'],
  ['WORKSPACE_DEFAULT_IMAGE', 'bad\u0001name'],
  ['WORKSPACE_DEFAULT_IMAGE', 'a:b:c'],
  ['WM_PORT', '70000'],
  ['WM_PORT', '80a'],
  ['WORKSPACE_ENABLE_CHECKPOINTS', 'maybe'],
  ['WM_LOG_LEVEL', 'LOUD'],
  ['WM_LOG_FILE', 'relative.log'],
  ['WORKSPACE_API_KEY_HEADER', 'bad header'],
  ['WORKSPACE_NETWORK_MODE', 'host'],
  ['CONTAINER_WORKSPACE_DIR', 'workspace'],
  ['WM_RUNTIME', 'kata'],
  ['WM_MAX_FILE_TRANSFER_BYTES', '0'],
  ['WM_TLS_KEY_FILE', '/only/key.pem'],
  ['WM_DATABASE_URL', 'mysql://wm@db/wm'],
  ['WM_DATABASE_URL', 'postgres://wm:pw@[bad/wm'],
  ['WM_DATABASE_POOL_SIZE', '0'],
  ['WM_DATABASE_POOL_SIZE', '201'],
]
for (const [name, value] of invalid) {
  test(`${name}=${JSON.stringify(value)} is refused with a message naming the variable`, () => {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(name),
    )
  })
}

test('CPU and memory units', () => {
  assert.equal(parseCpu('X', '1c'), 1e9)
  assert.equal(parseCpu('X', '0.5c'), 5e8)
  assert.equal(parseCpu('X', '2'), 2e9)
  assert.equal(parseCpu('X', '250m'), 2.5e8)
  assert.equal(parseMemory('X', '2g'), 2 * 1024 ** 3)
  assert.equal(parseMemory('X', '512M'), 512 * 1024 ** 2)
  assert.equal(parseMemory('X', '1.5g'), 1.5 * 1024 ** 3)
  assert.equal(parseMemory('X', '10485760'), 10485760)
  assert.equal(parseMemory('X', '64MiB'), 64 * 1024 ** 2)
})
