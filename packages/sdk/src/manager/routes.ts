/**
 * Requests of the seed-000 routes the SDK's services do not cover (health,
 * application kinds, file tokens, ports, checkpoints, the Splunk search),
 * each sent through the SDK's own {@link Transport}: one connection pool, one
 * error mapping, the same timeouts and transfer cap.
 */
import type { FileInfo as WireFileInfo, Sandbox as WireSandbox } from '@workspace-manager/protocol'
import { clientError, transferTooLargeError } from '../errors.js'
import { collectBody, guardBody } from '../response-body.js'
import type { Sandbox } from '../sandbox-types.js'
import { sandboxUrl } from '../services/sandbox.js'
import { openLocalFile, writeFileAtomically } from '../services/local-files.js'
import type { Transport } from '../transport.js'
import type { CallOptions, FileInfo } from '../types.js'
import type {
  ApplicationKind,
  Checkpoint,
  FileToken,
  FileTokenOperation,
  HealthStatus,
  PortHint,
  SplunkSearchOptions,
} from './types.js'

/** The server's default Splunk search timeout, and how much longer the HTTP request waits. */
const SEARCH_DEFAULT_MS = 60_000
const SEARCH_SLACK_MS = 35_000

function call(options: CallOptions): CallOptions {
  return { signal: options.signal, timeoutMs: options.timeoutMs }
}

export function workspaceUrl(id: string, suffix = ''): string {
  return `/v1/workspaces/${encodeURIComponent(id)}${suffix}`
}

export async function health(transport: Transport, options: CallOptions): Promise<HealthStatus> {
  return transport.json<HealthStatus>({ method: 'GET', path: '/health', ...call(options) })
}

export async function applicationKinds(
  transport: Transport,
  options: CallOptions,
): Promise<ApplicationKind[]> {
  const reply = await transport.json<{ application_kinds: ApplicationKind[] }>({
    method: 'GET',
    path: '/v1/application-kinds',
    ...call(options),
  })
  return reply.applicationKinds
}

export async function mintFileToken(
  transport: Transport,
  workspaceId: string,
  path: string,
  operation: FileTokenOperation,
  options: CallOptions = {},
): Promise<FileToken> {
  if (operation !== 'upload' && operation !== 'download') {
    throw new TypeError(`operation must be 'upload' or 'download', got ${String(operation)}`)
  }
  return transport.json<FileToken>({
    method: 'POST',
    path: workspaceUrl(workspaceId, '/files/tokens'),
    json: { path, operation },
    ...call(options),
  })
}

/**
 * The API path (from `/v1/` on) and query of a token URL. Requests go to this
 * client's base URL, not the URL's own origin: the server builds it on its
 * public base, which may be an address for third parties, and the API key
 * must never go to another host.
 */
function tokenRoute(token: FileToken): { path: string; query: Record<string, string> } {
  const url = new URL(token.url)
  const start = url.pathname.indexOf('/v1/workspaces/')
  if (start < 0) {
    throw clientError(
      'invalid-response',
      'the token URL the server sent is not a files/content URL',
    )
  }
  return { path: url.pathname.slice(start), query: Object.fromEntries(url.searchParams) }
}

/** The token URL on another base URL (`WORKSPACE_PUBLIC_BASE_URL`). */
export function rebasedUrl(token: FileToken, base: string): string {
  const url = new URL(token.url)
  const start = url.pathname.indexOf('/v1/workspaces/')
  if (start < 0) return token.url
  return `${base.replace(/\/+$/, '')}${url.pathname.slice(start)}${url.search}`
}

/** Streams a local file through an upload token; refused before anything is sent when over the cap. */
export async function uploadWithToken(
  transport: Transport,
  workspaceId: string,
  path: string,
  localPath: string,
  options: CallOptions,
): Promise<FileInfo> {
  const { maxFileTransferBytes, fileTimeoutMs } = transport.config
  const local = await openLocalFile(localPath, maxFileTransferBytes)
  try {
    const token = await mintFileToken(transport, workspaceId, path, 'upload', options)
    return await transport.json<WireFileInfo>({
      method: 'PUT',
      ...tokenRoute(token),
      body: local.stream,
      bodyLength: local.length,
      bodyLimitBytes: maxFileTransferBytes,
      timeoutMs: options.timeoutMs ?? fileTimeoutMs,
      signal: options.signal,
    })
  } finally {
    local.stream.destroy()
  }
}

/** Streams a file through a download token to `localPath` (replaced only when complete). */
export async function downloadWithToken(
  transport: Transport,
  workspaceId: string,
  path: string,
  localPath: string,
  options: CallOptions,
): Promise<number> {
  const { maxFileTransferBytes, fileTimeoutMs } = transport.config
  const token = await mintFileToken(transport, workspaceId, path, 'download', options)
  const response = await transport.open({
    method: 'GET',
    ...tokenRoute(token),
    timeoutMs: options.timeoutMs ?? fileTimeoutMs,
    signal: options.signal,
  })
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxFileTransferBytes) {
    response.body.destroy()
    response.exchange.finish()
    throw transferTooLargeError(maxFileTransferBytes, `${path} (${declared} bytes)`)
  }
  const body = guardBody(response.body, response.exchange, maxFileTransferBytes)
  return writeFileAtomically(body, localPath)
}

export async function portHint(
  transport: Transport,
  sandboxId: string,
  port: number,
  options: CallOptions,
): Promise<PortHint> {
  checkPort(port)
  const path = sandboxUrl(sandboxId, `/ports/${port}`)
  return transport.json<PortHint>({ method: 'GET', path, ...call(options) })
}

/** Throws RangeError unless `port` is a whole number from 1 to 65535. */
function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be a whole number from 1 to 65535, got ${String(port)}`)
  }
}

function checkpointsUrl(sandboxId: string, checkpointId?: string, suffix = ''): string {
  const one = checkpointId === undefined ? '' : `/${encodeURIComponent(checkpointId)}`
  return sandboxUrl(sandboxId, `/checkpoints${one}${suffix}`)
}

/** Committing a container can take a while: creating and restoring use the create timeout. */
export async function createCheckpoint(
  transport: Transport,
  sandboxId: string,
  name: string | undefined,
  options: CallOptions,
): Promise<Checkpoint> {
  return transport.json<Checkpoint>({
    method: 'POST',
    path: checkpointsUrl(sandboxId),
    json: name === undefined ? {} : { name },
    timeoutMs: options.timeoutMs ?? transport.config.createTimeoutMs,
    signal: options.signal,
  })
}

export async function listCheckpoints(
  transport: Transport,
  sandboxId: string,
  options: CallOptions,
): Promise<Checkpoint[]> {
  const path = checkpointsUrl(sandboxId)
  const reply = await transport.json<{ checkpoints: Checkpoint[] }>({
    method: 'GET',
    path,
    ...call(options),
  })
  return reply.checkpoints
}

export async function restoreCheckpoint(
  transport: Transport,
  sandboxId: string,
  checkpointId: string,
  options: CallOptions,
): Promise<Sandbox> {
  return transport.json<WireSandbox>({
    method: 'POST',
    path: checkpointsUrl(sandboxId, checkpointId, '/restore'),
    timeoutMs: options.timeoutMs ?? transport.config.createTimeoutMs,
    signal: options.signal,
  })
}

export async function deleteCheckpoint(
  transport: Transport,
  sandboxId: string,
  checkpointId: string,
  options: CallOptions,
): Promise<void> {
  const path = checkpointsUrl(sandboxId, checkpointId)
  await transport.call({ method: 'DELETE', path, ...call(options) })
}

/**
 * `POST /v1/sandboxes/{id}/splunk/search`. The results are Splunk's own
 * objects, so they are parsed as sent (field names like `_raw` are data,
 * not to be camelCased).
 */
export async function splunkSearch(
  transport: Transport,
  sandboxId: string,
  query: string,
  options: SplunkSearchOptions,
): Promise<Record<string, unknown>[]> {
  if (query.trim() === '') throw new TypeError('a Splunk search needs a non-empty query')
  const timeout = options.timeoutMs === undefined ? undefined : options.timeoutMs / 1000
  const response = await transport.open({
    method: 'POST',
    path: sandboxUrl(sandboxId, '/splunk/search'),
    json: { query, timeout },
    timeoutMs: (options.timeoutMs ?? SEARCH_DEFAULT_MS) + SEARCH_SLACK_MS,
    signal: options.signal,
  })
  const text = (await collectBody(response.body, response.exchange)).toString('utf8')
  let results: unknown
  try {
    results = (JSON.parse(text) as { results?: unknown }).results
  } catch {
    results = undefined
  }
  if (!Array.isArray(results)) {
    throw clientError('invalid-response', 'expected {"results": [...]} from the Splunk search')
  }
  return results as Record<string, unknown>[]
}
