/**
 * Every environment variable the server honours, read once into one typed
 * Config. Explicit values (passed to `loadConfig`'s overrides) win over the
 * environment, which wins over the defaults of the seed's table.
 */
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ConfigError,
  type Env,
  parseCpu,
  parseDiskSize,
  parseMemory,
  readBool,
  readChoice,
  readImageReference,
  readInt,
  readList,
  readString,
} from './parse.js'
import { readWorkspaceQuota } from './quota.js'
import { type NfsConfig, readNfs } from './nfs.js'

import { type KubernetesConfig, readKubernetes } from './kubernetes.js'
import { type EgressConfig, readEgress } from './egress.js'
import { readWarmPool, type WarmPoolEntry } from './warm-pool.js'

export { ConfigError, type Env } from './parse.js'
export type { KubernetesConfig, Toleration, WorkspaceVolumeMode } from './kubernetes.js'
export type { EgressConfig } from './egress.js'
export type { WarmPoolEntry } from './warm-pool.js'
export type { NfsConfig } from './nfs.js'

/** Pino level names the server accepts (Python names are mapped onto these). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

/** The agent binary the bootstrap builds: <repo>/agent/bin/wm-agent, found from this file's place. */
const DEFAULT_AGENT_BINARY = fileURLToPath(
  new URL('../../../../agent/bin/wm-agent', import.meta.url),
)

/** The secret the seed ships with; start-up warns when it is still in use. */
export const DEFAULT_UPLOAD_TOKEN_SECRET = 'dev-upload-token-secret'

/** The server's whole configuration. */
export interface Config {
  host: string
  port: number
  dataDir: string
  tls: { certFile: string; keyFile: string } | null
  version: string
  auth: { apiKeys: string[]; header: string }
  corsOrigins: string[]
  maxFileTransferBytes: number
  /** WM_WORKSPACE_QUOTA_BYTES: the disk quota of a workspace created without one; null: unlimited. */
  workspaceQuotaBytes: number | null
  sandboxDefaults: {
    image: string
    nanoCpus: number
    memoryBytes: number
    /** WM_SANDBOX_DISK_BYTES: what a sandbox may write to its root filesystem; null: unlimited. */
    diskBytes: number | null
    networkMode: string
    applicationKind: string | null
    containerWorkspaceDir: string
    containerPrefix: string
    stopTimeoutSeconds: number
    toolsVolume: string
    /** WM_RUNTIME: an OCI runtime of the Docker engine, or `kubernetes` for pods in a cluster. */
    runtime: 'runc' | 'runsc' | 'kubernetes'
    pidsLimit: number
  }
  /** WM_WARM_POOL: templates to keep ready sandboxes of (none when unset). */
  warmPool: WarmPoolEntry[]
  agent: {
    /** Host path of the static wm-agent binary mounted into every sandbox. */
    binaryPath: string
    startTimeoutSeconds: number
  }
  reconcileIntervalSeconds: number
  checkpointsEnabled: boolean
  janitor: {
    idleTtlSeconds: number
    intervalSeconds: number
    /** WORKSPACE_IDLE_ACTION: the default on_idle (and on_timeout) of new sandboxes. */
    idleAction: 'delete' | 'stop' | 'pause'
  }
  portProxyHost: string | null
  /** WORKSPACE_PUBLIC_BASE_URL without a trailing slash: the base of URLs handed out (token URLs, port hints). */
  publicBaseUrl: string | null
  docker: { clientTimeoutSeconds: number; platform: string | null; host: string | null }
  uploadTokens: { secret: string; header: string; queryParam: string; ttlSeconds: number }
  plugins: {
    enabled: boolean
    entrypointGroups: string[]
    modules: string[]
    allowlist: string[]
    denylist: string[]
    failFast: boolean
  }
  /** SPLUNK_USERNAME / SPLUNK_PASSWORD, given to sandboxes of kind `splunk`; never logged. */
  splunk: { username: string | null; password: string | null }
  logging: {
    level: LogLevel
    file: string | null
    maxBytes: number
    backupCount: number
    console: boolean
  }
  nfs: NfsConfig
  /** The Kubernetes runtime's settings (used when WM_RUNTIME=kubernetes). */
  kubernetes: KubernetesConfig
  /** The egress gateway of sandboxes in network mode allowlist or open. */
  egress: EgressConfig
  /** WM_DATABASE_URL: a PostgreSQL URL shared by replicas; null for the embedded SQLite file. */
  databaseUrl: string | null
  /** WM_DATABASE_POOL_SIZE: connections per server for store queries (locks use their own). */
  databasePoolSize: number
  /** This server among the replicas of one store. */
  replica: {
    /** WM_REPLICA_ID: its name in health, metrics and logs (default `<hostname>:<port>`). */
    id: string
    /** WM_LEADER_CHECK_INTERVAL_SECONDS: how often the leader lease is tried or checked. */
    leaderCheckIntervalSeconds: number
  }
}

const LEVEL_ALIASES: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
}

function readLogLevel(env: Env): LogLevel {
  const name = readString(env, 'WM_LOG_LEVEL') !== undefined ? 'WM_LOG_LEVEL' : 'LOG_LEVEL'
  const value = readString(env, name) ?? 'INFO'
  const level = LEVEL_ALIASES[value.toLowerCase()]
  if (!level) {
    throw new ConfigError(name, `expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got "${value}"`)
  }
  return level
}

function readLogFile(env: Env): string | null {
  const file = readString(env, 'WM_LOG_FILE')
  if (file !== undefined) {
    if (!path.isAbsolute(file)) throw new ConfigError('WM_LOG_FILE', 'must be an absolute path')
    return file
  }
  const dir = readString(env, 'WM_LOG_DIR')
  if (dir === undefined) return null
  const name = readString(env, 'WM_LOG_NAME') ?? 'wm-server.log'
  if (name.includes('/')) throw new ConfigError('WM_LOG_NAME', 'must be a file name, not a path')
  return path.resolve(dir, name)
}

function readTls(env: Env): Config['tls'] {
  const certFile = readString(env, 'WM_TLS_CERT_FILE')
  const keyFile = readString(env, 'WM_TLS_KEY_FILE')
  if (certFile === undefined && keyFile === undefined) return null
  if (certFile === undefined)
    throw new ConfigError('WM_TLS_CERT_FILE', 'is required with WM_TLS_KEY_FILE')
  if (keyFile === undefined)
    throw new ConfigError('WM_TLS_KEY_FILE', 'is required with WM_TLS_CERT_FILE')
  return { certFile, keyFile }
}

function readApiKeys(env: Env): string[] {
  const keys = [readString(env, 'WORKSPACE_API_KEY'), ...readList(env, 'WORKSPACE_API_KEYS')]
  return [...new Set(keys.filter((key): key is string => key !== undefined))]
}

function readHeaderName(env: Env, name: string, fallback: string): string {
  const value = readString(env, name) ?? fallback
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value)) {
    throw new ConfigError(name, `"${value}" is not a valid HTTP header name`)
  }
  return value.toLowerCase()
}

const JANITOR_MIN_INTERVAL_SECONDS = 10

function readBaseUrl(env: Env, name: string): string | null {
  const value = readString(env, name)
  if (value === undefined) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(name, `expected an http(s) URL without query or fragment, got "${value}"`)
  }
  return url.toString().replace(/\/+$/, '')
}

function readDatabaseUrl(env: Env): string | null {
  const value = readString(env, 'WM_DATABASE_URL')
  if (value === undefined) return null
  // The value holds a password: never quote it back (nor let a URL parser's error carry it).
  let valid = /^postgres(ql)?:\/\/./.test(value)
  try {
    new URL(value)
  } catch {
    valid = false
  }
  if (!valid) {
    throw new ConfigError('WM_DATABASE_URL', 'expected a postgres:// or postgresql:// URL')
  }
  return value
}

function readDiskBytes(env: Env): number | null {
  const value = readString(env, 'WM_SANDBOX_DISK_BYTES')
  return value === undefined ? null : parseDiskSize('WM_SANDBOX_DISK_BYTES', value)
}

/** Reads the whole configuration from `env`; throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const containerWorkspaceDir = readString(env, 'CONTAINER_WORKSPACE_DIR') ?? '/workspace'
  if (!path.posix.isAbsolute(containerWorkspaceDir)) {
    throw new ConfigError('CONTAINER_WORKSPACE_DIR', 'must be an absolute path')
  }
  const networkMode = readString(env, 'WORKSPACE_NETWORK_MODE') ?? 'none'
  if (/^(host|container:)/.test(networkMode)) {
    throw new ConfigError(
      'WORKSPACE_NETWORK_MODE',
      `"${networkMode}" would share a namespace with the host or another container`,
    )
  }
  const runtime = readChoice(env, 'WM_RUNTIME', ['runc', 'runsc', 'kubernetes'] as const, 'runc')
  return {
    host: readString(env, 'WM_HOST') ?? '127.0.0.1',
    port: readInt(env, 'WM_PORT', 8080, { min: 0, max: 65535 }),
    dataDir: path.resolve(readString(env, 'WM_DATA_DIR') ?? './data'),
    tls: readTls(env),
    version: readString(env, 'WORKSPACE_MANAGER_VERSION') ?? '0.1.0',
    auth: {
      apiKeys: readApiKeys(env),
      header: readHeaderName(env, 'WORKSPACE_API_KEY_HEADER', 'X-API-Key'),
    },
    corsOrigins: readList(env, 'CORS_ALLOW_ORIGINS').length
      ? readList(env, 'CORS_ALLOW_ORIGINS')
      : ['*'],
    maxFileTransferBytes: readInt(env, 'WM_MAX_FILE_TRANSFER_BYTES', 1024 ** 3, { min: 1 }),
    workspaceQuotaBytes: readWorkspaceQuota(env),
    sandboxDefaults: {
      image: readImageReference(env, 'WORKSPACE_DEFAULT_IMAGE', 'ubuntu:22.04'),
      nanoCpus: parseCpu('WORKSPACE_DEFAULT_CPU', readString(env, 'WORKSPACE_DEFAULT_CPU') ?? '1c'),
      memoryBytes: parseMemory(
        'WORKSPACE_DEFAULT_MEM',
        readString(env, 'WORKSPACE_DEFAULT_MEM') ?? '2g',
      ),
      diskBytes: readDiskBytes(env),
      networkMode,
      applicationKind: readString(env, 'WORKSPACE_APPLICATION_KIND') ?? null,
      containerWorkspaceDir,
      containerPrefix: readString(env, 'WORKSPACE_CONTAINER_PREFIX') ?? 'wm_ws_',
      stopTimeoutSeconds: readInt(env, 'WORKSPACE_STOP_TIMEOUT_SECONDS', 5, { min: 0, max: 3600 }),
      toolsVolume: readString(env, 'WORKSPACE_TOOLS_VOLUME') ?? 'wm_tools_cache',
      runtime,
      pidsLimit: readInt(env, 'WM_SANDBOX_PIDS_LIMIT', 512, { min: 16, max: 1_000_000 }),
    },
    warmPool: readWarmPool(env, 'WM_WARM_POOL', runtime),
    agent: {
      binaryPath: path.resolve(readString(env, 'WM_AGENT_BINARY') ?? DEFAULT_AGENT_BINARY),
      startTimeoutSeconds: readInt(env, 'WM_AGENT_START_TIMEOUT_SECONDS', 30, { min: 1, max: 600 }),
    },
    reconcileIntervalSeconds: readInt(env, 'WM_RECONCILE_INTERVAL_SECONDS', 30, { min: 1 }),
    checkpointsEnabled: readBool(env, 'WORKSPACE_ENABLE_CHECKPOINTS', true),
    janitor: {
      idleTtlSeconds: readInt(env, 'WORKSPACE_IDLE_TTL_SECONDS', 7200, { min: 1 }),
      idleAction: readChoice(
        env,
        'WORKSPACE_IDLE_ACTION',
        ['delete', 'stop', 'pause'] as const,
        'delete',
      ),
      intervalSeconds: Math.max(
        JANITOR_MIN_INTERVAL_SECONDS,
        readInt(env, 'WORKSPACE_JANITOR_INTERVAL_SECONDS', 3600, { min: 1 }),
      ),
    },
    portProxyHost: readString(env, 'WORKSPACE_PORT_PROXY_HOST') ?? null,
    publicBaseUrl: readBaseUrl(env, 'WORKSPACE_PUBLIC_BASE_URL'),
    docker: {
      clientTimeoutSeconds: readInt(env, 'DOCKER_CLIENT_TIMEOUT', 180, { min: 1 }),
      platform: readString(env, 'DOCKER_PLATFORM') ?? null,
      host: readString(env, 'DOCKER_HOST') ?? null,
    },
    uploadTokens: {
      secret: readString(env, 'WORKSPACE_UPLOAD_TOKEN_SECRET') ?? DEFAULT_UPLOAD_TOKEN_SECRET,
      header: readHeaderName(env, 'WORKSPACE_UPLOAD_TOKEN_HEADER', 'Authorization'),
      queryParam: readString(env, 'WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM') ?? 'token',
      ttlSeconds: readInt(env, 'WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS', 900, { min: 1 }),
    },
    plugins: {
      enabled: readBool(env, 'WM_PLUGINS_ENABLED', true),
      entrypointGroups: readList(env, 'WM_PLUGINS_ENTRYPOINT_GROUPS').length
        ? readList(env, 'WM_PLUGINS_ENTRYPOINT_GROUPS')
        : ['wm_server.app_plugins'],
      modules: readList(env, 'WM_PLUGINS_MODULES'),
      allowlist: readList(env, 'WM_PLUGINS_ALLOWLIST'),
      denylist: readList(env, 'WM_PLUGINS_DENYLIST'),
      failFast: readBool(env, 'WM_PLUGINS_FAIL_FAST', false),
    },
    splunk: {
      username: readString(env, 'SPLUNK_USERNAME') ?? null,
      // Not trimmed: spaces may be part of a password.
      password: env.SPLUNK_PASSWORD ? env.SPLUNK_PASSWORD : null,
    },
    logging: {
      level: readLogLevel(env),
      file: readLogFile(env),
      maxBytes: readInt(env, 'WM_LOG_MAX_BYTES', 10 * 1024 * 1024, { min: 1024 }),
      backupCount: readInt(env, 'WM_LOG_BACKUP_COUNT', 10, { min: 0, max: 1000 }),
      console: readBool(env, 'WM_CONSOLE', false),
    },
    nfs: readNfs(env),
    kubernetes: readKubernetes(env),
    egress: readEgress(env),
    databaseUrl: readDatabaseUrl(env),
    databasePoolSize: readInt(env, 'WM_DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    replica: {
      id: readReplicaId(env),
      leaderCheckIntervalSeconds: readInt(env, 'WM_LEADER_CHECK_INTERVAL_SECONDS', 2, {
        min: 1,
        max: 60,
      }),
    },
  }
}

const REPLICA_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/

/** WM_REPLICA_ID, or `<hostname>:<port>`, which is unique among replicas on one host. */
function readReplicaId(env: Env): string {
  const given = readString(env, 'WM_REPLICA_ID')
  if (given === undefined) return `${os.hostname()}:${readInt(env, 'WM_PORT', 8080, { min: 0 })}`
  if (!REPLICA_ID_PATTERN.test(given)) {
    throw new ConfigError(
      'WM_REPLICA_ID',
      `expected 1 to 128 of A-Z a-z 0-9 . _ : -, got "${given}"`,
    )
  }
  return given
}

/** Names of the variables that hold secrets: never logged. */
export const SECRET_VARIABLES = [
  'WORKSPACE_API_KEY',
  'WORKSPACE_API_KEYS',
  'WORKSPACE_UPLOAD_TOKEN_SECRET',
  'SPLUNK_PASSWORD',
  'WM_DATABASE_URL',
] as const
