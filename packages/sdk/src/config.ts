/**
 * Client configuration: each setting is the explicit option if given, else its
 * environment variable, else the default.
 */
import {
  checkPositive,
  configError,
  parseBoolean,
  parseByteCount,
  parseHost,
  parseHttpUrl,
  parsePort,
  parseSecondsAsMs,
  type ValueSource,
} from './env-values.js'
import { isInsecureRemoteUrl } from './url-policy.js'

/** Environment the client reads its defaults from (normally `process.env`). */
export type ClientEnvironment = Readonly<Record<string, string | undefined>>

/** Options of {@link WorkspaceClient}; every one falls back to an environment variable, then a default. */
export interface WorkspaceClientOptions {
  /** Base URL of the API. Env `WORKSPACE_API_URL`, then `WM_BASE_URL`; default `http://127.0.0.1:8080`. */
  apiUrl?: string
  /** API key sent with every request. Env `WORKSPACE_API_KEY`; default none. */
  apiKey?: string
  /** Header carrying the API key. Env `WORKSPACE_API_KEY_HEADER`; default `X-API-Key`. */
  apiKeyHeader?: string
  /** Timeout of ordinary requests (longest wait without progress), in ms. Env `WM_REQUEST_TIMEOUT` (seconds); default 60 s. */
  timeoutMs?: number
  /** Timeout of file transfers (no progress for this long fails), in ms. Env `WM_FILE_TIMEOUT` (seconds); default 120 s. */
  fileTimeoutMs?: number
  /** Default timeout of commands run in sandboxes, in ms. Env `WM_EXEC_TIMEOUT` (seconds); default 300 s. */
  execTimeoutMs?: number
  /** Default wait for a sandbox to become ready, in ms. Env `WM_CREATE_TIMEOUT` (seconds); default 1200 s. */
  createTimeoutMs?: number
  /** Verify the server's TLS certificate. Env `WM_VERIFY_TLS`; default `true`. `false` requires `allowInsecureTls`. */
  verifyTls?: boolean
  /** Opt-in that permits `verifyTls: false`. Env `WM_ALLOW_INSECURE_TLS`; default `false`. */
  allowInsecureTls?: boolean
  /** Opt-in that permits `http://` URLs to non-loopback hosts. Env `WM_ALLOW_INSECURE_HTTP`; default `false`. */
  allowInsecureHttp?: boolean
  /** Largest upload or download, in bytes. Env `WM_MAX_FILE_TRANSFER_BYTES`; default 1073741824 (1 GiB). */
  maxFileTransferBytes?: number
  /** Public URL of the service to hand to third parties. Env `WORKSPACE_PUBLIC_BASE_URL`; default none. */
  publicBaseUrl?: string
  /** Workspace mount point inside sandboxes. Env `CONTAINER_WORKSPACE_DIR`; default `/workspace`. */
  containerWorkspaceDir?: string
  /** NFS host for `client.nfs`, overriding the one in each workspace's `nfsUrl`. Env `WM_NFS_HOST`; default none (use `nfsUrl`'s). */
  nfsHost?: string
  /** NFS port for `client.nfs`, overriding the one in each workspace's `nfsUrl`. Env `WM_NFS_PORT`; default none (use `nfsUrl`'s). */
  nfsPort?: number
  /** Environment to read variables from; default `process.env`. */
  env?: ClientEnvironment
}

/** Fully resolved client configuration. */
export interface ResolvedClientConfig {
  /** Base URL of the API, without a trailing slash. */
  readonly apiUrl: string
  /** API key, if any. */
  readonly apiKey: string | undefined
  /** Header carrying the API key. */
  readonly apiKeyHeader: string
  /** Timeout of ordinary requests, in ms. */
  readonly timeoutMs: number
  /** Timeout of file transfers without progress, in ms. */
  readonly fileTimeoutMs: number
  /** Default timeout of commands run in sandboxes, in ms. */
  readonly execTimeoutMs: number
  /** Default wait for a sandbox to become ready, in ms. */
  readonly createTimeoutMs: number
  /** Whether TLS certificates are verified. */
  readonly verifyTls: boolean
  /** Whether skipping TLS verification was permitted. */
  readonly allowInsecureTls: boolean
  /** Whether `http://` to non-loopback hosts was permitted. */
  readonly allowInsecureHttp: boolean
  /** Largest upload or download, in bytes. */
  readonly maxFileTransferBytes: number
  /** Public URL of the service, if any. */
  readonly publicBaseUrl: string | undefined
  /** Workspace mount point inside sandboxes. */
  readonly containerWorkspaceDir: string
  /** NFS host overriding each workspace's `nfsUrl` (IPv6 without brackets), if any. */
  readonly nfsHost: string | undefined
  /** NFS port overriding each workspace's `nfsUrl`, if any. */
  readonly nfsPort: number | undefined
}

/** Default base URL: where the server listens by default. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080'

function fromEnv(env: ClientEnvironment, variable: string): string | undefined {
  const value = env[variable]
  return value === undefined || value.trim() === '' ? undefined : value
}

/** How one kind of setting is read from the environment and checked when given explicitly. */
interface SettingKind<T> {
  parse(raw: string, source: ValueSource): T
  check?(value: T, source: ValueSource): T
}

const text: SettingKind<string> = { parse: (raw) => raw }
const boolean: SettingKind<boolean> = { parse: parseBoolean }
const seconds: SettingKind<number> = { parse: parseSecondsAsMs, check: checkPositive }
const bytes: SettingKind<number> = {
  parse: parseByteCount,
  check: (value, source) => parseByteCount(String(value), source),
}
const host: SettingKind<string> = { parse: parseHost, check: parseHost }
const port: SettingKind<number> = {
  parse: parsePort,
  check: (value, source) => parsePort(String(value), source),
}
const httpUrl: SettingKind<string> = {
  parse: (raw, source) => parseHttpUrl(raw, source).href,
  check: (value, source) => parseHttpUrl(value, source).href,
}

type SettingName = Exclude<keyof WorkspaceClientOptions, 'env' | 'apiUrl'>

function settingReader(options: WorkspaceClientOptions, env: ClientEnvironment) {
  return <T>(option: SettingName, variable: string, kind: SettingKind<T>, fallback: T): T => {
    const explicit = options[option] as T | undefined
    if (explicit !== undefined) return kind.check ? kind.check(explicit, { option }) : explicit
    const raw = fromEnv(env, variable)
    return raw === undefined ? fallback : kind.parse(raw, { variable })
  }
}

function resolveApiUrl(options: WorkspaceClientOptions, env: ClientEnvironment): URL {
  if (options.apiUrl !== undefined) return parseHttpUrl(options.apiUrl, { option: 'apiUrl' })
  for (const variable of ['WORKSPACE_API_URL', 'WM_BASE_URL']) {
    const raw = fromEnv(env, variable)
    if (raw !== undefined) return parseHttpUrl(raw, { variable })
  }
  return new URL(DEFAULT_API_URL)
}

/** Resolves every setting (explicit option, then environment, then default) and checks the safety rules. */
export function resolveClientConfig(options: WorkspaceClientOptions = {}): ResolvedClientConfig {
  const env = options.env ?? process.env
  const read = settingReader(options, env)
  const url = resolveApiUrl(options, env)
  const config: ResolvedClientConfig = {
    apiUrl: url.href.replace(/\/+$/, ''),
    apiKey: read<string | undefined>('apiKey', 'WORKSPACE_API_KEY', text, undefined),
    apiKeyHeader: read('apiKeyHeader', 'WORKSPACE_API_KEY_HEADER', text, 'X-API-Key'),
    timeoutMs: read('timeoutMs', 'WM_REQUEST_TIMEOUT', seconds, 60_000),
    fileTimeoutMs: read('fileTimeoutMs', 'WM_FILE_TIMEOUT', seconds, 120_000),
    execTimeoutMs: read('execTimeoutMs', 'WM_EXEC_TIMEOUT', seconds, 300_000),
    createTimeoutMs: read('createTimeoutMs', 'WM_CREATE_TIMEOUT', seconds, 1_200_000),
    verifyTls: read('verifyTls', 'WM_VERIFY_TLS', boolean, true),
    allowInsecureTls: read('allowInsecureTls', 'WM_ALLOW_INSECURE_TLS', boolean, false),
    allowInsecureHttp: read('allowInsecureHttp', 'WM_ALLOW_INSECURE_HTTP', boolean, false),
    maxFileTransferBytes: read(
      'maxFileTransferBytes',
      'WM_MAX_FILE_TRANSFER_BYTES',
      bytes,
      1024 ** 3,
    ),
    publicBaseUrl: read<string | undefined>(
      'publicBaseUrl',
      'WORKSPACE_PUBLIC_BASE_URL',
      httpUrl,
      undefined,
    ),
    containerWorkspaceDir: read(
      'containerWorkspaceDir',
      'CONTAINER_WORKSPACE_DIR',
      text,
      '/workspace',
    ),
    nfsHost: read<string | undefined>('nfsHost', 'WM_NFS_HOST', host, undefined),
    nfsPort: read<number | undefined>('nfsPort', 'WM_NFS_PORT', port, undefined),
  }
  enforceSafety(config, url)
  return config
}

function enforceSafety(config: ResolvedClientConfig, url: URL): void {
  if (!config.verifyTls && !config.allowInsecureTls) {
    throw configError(
      { option: 'verifyTls' },
      'is false (or WM_VERIFY_TLS=false) but skipping TLS verification also needs allowInsecureTls: true or WM_ALLOW_INSECURE_TLS=true',
    )
  }
  if (isInsecureRemoteUrl(url) && !config.allowInsecureHttp) {
    throw configError(
      { option: 'apiUrl' },
      `${url.href} uses plain http:// to a non-loopback host; use https://, or opt in with allowInsecureHttp: true or WM_ALLOW_INSECURE_HTTP=true`,
    )
  }
}
