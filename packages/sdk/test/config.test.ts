import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  resolveClientConfig,
  WorkspaceClient,
  WorkspaceError,
  type ResolvedClientConfig,
  type WorkspaceClientOptions,
} from '../src/index.js'

type Key = keyof ResolvedClientConfig & keyof WorkspaceClientOptions

interface PrecedenceCase {
  option: Key
  variable: string
  explicit: WorkspaceClientOptions[Key]
  envValue: string
  fromEnv: unknown
  fallback: unknown
  /** Extra environment needed for the value to be legal (e.g. the insecure-TLS opt-in). */
  baseEnv?: Record<string, string>
}

const cases: PrecedenceCase[] = [
  {
    option: 'apiUrl',
    variable: 'WORKSPACE_API_URL',
    explicit: 'http://localhost:1',
    envValue: 'https://env.example/',
    fromEnv: 'https://env.example',
    fallback: 'http://127.0.0.1:8080',
  },
  {
    option: 'apiKey',
    variable: 'WORKSPACE_API_KEY',
    explicit: 'explicit-key',
    envValue: 'env-key',
    fromEnv: 'env-key',
    fallback: undefined,
  },
  {
    option: 'apiKeyHeader',
    variable: 'WORKSPACE_API_KEY_HEADER',
    explicit: 'X-Explicit',
    envValue: 'X-Env',
    fromEnv: 'X-Env',
    fallback: 'X-API-Key',
  },
  {
    option: 'timeoutMs',
    variable: 'WM_REQUEST_TIMEOUT',
    explicit: 1500,
    envValue: '5',
    fromEnv: 5000,
    fallback: 60_000,
  },
  {
    option: 'fileTimeoutMs',
    variable: 'WM_FILE_TIMEOUT',
    explicit: 1500,
    envValue: '2.5',
    fromEnv: 2500,
    fallback: 120_000,
  },
  {
    option: 'execTimeoutMs',
    variable: 'WM_EXEC_TIMEOUT',
    explicit: 1500,
    envValue: '7',
    fromEnv: 7000,
    fallback: 300_000,
  },
  {
    option: 'createTimeoutMs',
    variable: 'WM_CREATE_TIMEOUT',
    explicit: 1500,
    envValue: '9',
    fromEnv: 9000,
    fallback: 1_200_000,
  },
  {
    option: 'verifyTls',
    variable: 'WM_VERIFY_TLS',
    explicit: true,
    envValue: 'false',
    fromEnv: false,
    fallback: true,
    baseEnv: { WM_ALLOW_INSECURE_TLS: 'true' },
  },
  {
    option: 'allowInsecureTls',
    variable: 'WM_ALLOW_INSECURE_TLS',
    explicit: false,
    envValue: 'true',
    fromEnv: true,
    fallback: false,
  },
  {
    option: 'allowInsecureHttp',
    variable: 'WM_ALLOW_INSECURE_HTTP',
    explicit: false,
    envValue: '1',
    fromEnv: true,
    fallback: false,
  },
  {
    option: 'maxFileTransferBytes',
    variable: 'WM_MAX_FILE_TRANSFER_BYTES',
    explicit: 10,
    envValue: '2048',
    fromEnv: 2048,
    fallback: 1073741824,
  },
  {
    option: 'publicBaseUrl',
    variable: 'WORKSPACE_PUBLIC_BASE_URL',
    explicit: 'https://explicit.example/',
    envValue: 'https://env.example/',
    fromEnv: 'https://env.example/',
    fallback: undefined,
  },
  {
    option: 'containerWorkspaceDir',
    variable: 'CONTAINER_WORKSPACE_DIR',
    explicit: '/explicit',
    envValue: '/env',
    fromEnv: '/env',
    fallback: '/workspace',
  },
  {
    option: 'nfsHost',
    variable: 'WM_NFS_HOST',
    explicit: 'nfs.example',
    envValue: '[fd00::1]',
    fromEnv: 'fd00::1',
    fallback: undefined,
  },
  {
    option: 'nfsPort',
    variable: 'WM_NFS_PORT',
    explicit: 3049,
    envValue: '4049',
    fromEnv: 4049,
    fallback: undefined,
  },
]

describe('configuration precedence: explicit option, then environment, then default', () => {
  for (const c of cases) {
    test(`${c.option} / ${c.variable}`, () => {
      const base = c.baseEnv ?? {}
      const withEnv = { ...base, [c.variable]: c.envValue }
      const explicit = resolveClientConfig({ [c.option]: c.explicit, env: withEnv })
      assert.equal(explicit[c.option], c.explicit)
      assert.equal(resolveClientConfig({ env: withEnv })[c.option], c.fromEnv)
      assert.equal(resolveClientConfig({ env: base })[c.option], c.fallback)
    })
  }

  test('WM_BASE_URL is used only when WORKSPACE_API_URL is unset', () => {
    const legacy = { WM_BASE_URL: 'http://localhost:7000' }
    assert.equal(resolveClientConfig({ env: legacy }).apiUrl, 'http://localhost:7000')
    const both = { ...legacy, WORKSPACE_API_URL: 'http://localhost:9000' }
    assert.equal(resolveClientConfig({ env: both }).apiUrl, 'http://localhost:9000')
    assert.equal(
      resolveClientConfig({ apiUrl: 'http://[::1]:1', env: both }).apiUrl,
      'http://[::1]:1',
    )
  })

  test('empty variables count as unset', () => {
    const config = resolveClientConfig({ env: { WM_REQUEST_TIMEOUT: '', WORKSPACE_API_URL: ' ' } })
    assert.equal(config.timeoutMs, 60_000)
    assert.equal(config.apiUrl, 'http://127.0.0.1:8080')
  })

  test('a base URL keeps its path prefix without a trailing slash', () => {
    const config = resolveClientConfig({ apiUrl: 'https://host.example/wm/', env: {} })
    assert.equal(config.apiUrl, 'https://host.example/wm')
  })

  test('the client reads process.env when no env option is given', () => {
    const saved = process.env.WM_CREATE_TIMEOUT
    process.env.WM_CREATE_TIMEOUT = '42'
    try {
      assert.equal(new WorkspaceClient().config.createTimeoutMs, 42_000)
    } finally {
      if (saved === undefined) delete process.env.WM_CREATE_TIMEOUT
      else process.env.WM_CREATE_TIMEOUT = saved
    }
  })
})

describe('invalid values are refused with an error naming the variable or option', () => {
  const invalid: [string, Record<string, string>][] = [
    ['WM_REQUEST_TIMEOUT', { WM_REQUEST_TIMEOUT: 'soon' }],
    ['WM_FILE_TIMEOUT', { WM_FILE_TIMEOUT: '-3' }],
    ['WM_EXEC_TIMEOUT', { WM_EXEC_TIMEOUT: '0' }],
    ['WM_CREATE_TIMEOUT', { WM_CREATE_TIMEOUT: 'Infinity' }],
    ['WM_VERIFY_TLS', { WM_VERIFY_TLS: 'maybe' }],
    ['WM_ALLOW_INSECURE_TLS', { WM_ALLOW_INSECURE_TLS: 'sure' }],
    ['WM_ALLOW_INSECURE_HTTP', { WM_ALLOW_INSECURE_HTTP: '2' }],
    ['WM_MAX_FILE_TRANSFER_BYTES', { WM_MAX_FILE_TRANSFER_BYTES: '1.5' }],
    ['WORKSPACE_API_URL', { WORKSPACE_API_URL: 'ftp://files.example' }],
    ['WM_BASE_URL', { WM_BASE_URL: 'not a url' }],
    ['WORKSPACE_PUBLIC_BASE_URL', { WORKSPACE_PUBLIC_BASE_URL: '/relative' }],
    ['WM_NFS_PORT', { WM_NFS_PORT: '70000' }],
    ['WM_NFS_HOST', { WM_NFS_HOST: 'host:/path' }],
  ]
  for (const [variable, env] of invalid) {
    test(variable, () => {
      assert.throws(
        () => new WorkspaceClient({ env }),
        (error: unknown) =>
          error instanceof WorkspaceError &&
          error.message.includes(variable) &&
          error.details.reason === 'config' &&
          error.details.setting === variable,
      )
    })
  }

  test('explicit options are checked too', () => {
    assert.throws(() => new WorkspaceClient({ timeoutMs: -1, env: {} }), /option timeoutMs/)
    assert.throws(
      () => new WorkspaceClient({ maxFileTransferBytes: 1.5, env: {} }),
      /maxFileTransferBytes/,
    )
    assert.throws(() => new WorkspaceClient({ apiUrl: 'localhost:8080', env: {} }), /option apiUrl/)
    assert.throws(() => new WorkspaceClient({ nfsPort: 1.5, env: {} }), /option nfsPort/)
  })
})
