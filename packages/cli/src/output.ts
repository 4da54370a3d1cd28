/** Everything `wm` prints: tables, sizes, times, JSON, and error lines. */
import {
  WorkspaceError,
  type FileInfo,
  type NetworkStatus,
  type Sandbox,
  type ServerHealth,
  type ServerReadiness,
  type Workspace,
} from 'workspace-sdk'

/** Column alignment in {@link formatTable}. */
export type Align = 'left' | 'right'

/** Shows control characters (from hostile file names, say) as escapes instead of sending them to the terminal. */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

/** Aligns rows under a header, two spaces between columns, no trailing spaces. */
export function formatTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const cells = [headers, ...rows].map((row) => row.map(printable))
  const widths = headers.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  )
  const lines = cells.map((row) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0
        return align[column] === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd(),
  )
  return `${lines.join('\n')}\n`
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** `0 B`, `1023 B`, `1.5 KiB`, `20.0 MiB`: binary units, one decimal above bytes. */
export function formatSize(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/** `2026-11-24 10:00:05` (UTC), or `-` when unknown or unparsable. */
export function formatTime(iso: string | null): string {
  if (!iso) return '-'
  const time = new Date(iso)
  if (Number.isNaN(time.getTime())) return '-'
  return time.toISOString().slice(0, 19).replace('T', ' ')
}

/** `k=v, k2=v2`, or `-` for none. */
export function formatMetadata(metadata: Record<string, string> | null): string {
  const entries = Object.entries(metadata ?? {})
  return entries.length === 0 ? '-' : entries.map(([key, value]) => `${key}=${value}`).join(', ')
}

/** Machine-readable output: the SDK objects as indented JSON. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/** A byte count in binary units, or `text` when there is none (no quota, usage not counted). */
function sizeOr(bytes: number | null | undefined, text: string): string {
  return bytes === null || bytes === undefined ? text : formatSize(bytes)
}

/** The table of `wm workspace list`. */
export function formatWorkspaceTable(workspaces: Workspace[]): string {
  const rows = workspaces.map((ws) => [
    ws.id,
    ws.name ?? '-',
    formatTime(ws.createdAt),
    sizeOr(ws.quotaBytes, 'none'),
    sizeOr(ws.usedBytes, '-'),
    formatMetadata(ws.metadata),
  ])
  return formatTable(['ID', 'NAME', 'CREATED (UTC)', 'QUOTA', 'USED', 'METADATA'], rows, [
    'left',
    'left',
    'left',
    'right',
    'right',
    'left',
  ])
}

/** `label: value` lines with the values aligned. */
export function formatDetails(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1
  const lines = pairs.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${printable(value)}`)
  return `${lines.join('\n')}\n`
}

/** The key/value view of `wm workspace get`. */
export function formatWorkspaceDetails(ws: Workspace): string {
  return formatDetails([
    ['id', ws.id],
    ['name', ws.name ?? '-'],
    ['created', `${formatTime(ws.createdAt)} UTC`],
    ['updated', `${formatTime(ws.updatedAt)} UTC`],
    ['nfs url', ws.nfsUrl ?? '-'],
    ['quota', sizeOr(ws.quotaBytes, 'none')],
    ['used', sizeOr(ws.usedBytes, '-')],
    ['metadata', formatMetadata(ws.metadata)],
  ])
}

const TYPE_LABELS: Record<FileInfo['type'], string> = {
  file: 'file',
  directory: 'dir',
  symlink: 'link',
}

/** The table of `wm files ls`: directories end in `/`. */
export function formatFileTable(files: FileInfo[]): string {
  const rows = files.map((file) => [
    TYPE_LABELS[file.type],
    formatSize(file.size),
    formatTime(file.modifiedAt),
    file.type === 'directory' ? `${file.name}/` : file.name,
  ])
  return formatTable(['TYPE', 'SIZE', 'MODIFIED (UTC)', 'NAME'], rows, ['left', 'right'])
}

/** The table of `wm sandbox list`. */
export function formatSandboxTable(sandboxes: Sandbox[]): string {
  const rows = sandboxes.map((sb) => [
    sb.id,
    sb.state,
    sb.workspaceId,
    sb.template,
    sb.name ?? '-',
    formatTime(sb.createdAt),
  ])
  return formatTable(['ID', 'STATE', 'WORKSPACE', 'TEMPLATE', 'NAME', 'CREATED (UTC)'], rows)
}

/** The key/value view of `wm sandbox get`. */
export function formatSandboxDetails(sb: Sandbox): string {
  const pairs: [string, string][] = [
    ['id', sb.id],
    ['state', sb.errorMessage ? `${sb.state} (${sb.errorMessage})` : sb.state],
    ['workspace', sb.workspaceId],
    ['template', sb.template],
    ['name', sb.name ?? '-'],
    ['created', `${formatTime(sb.createdAt)} UTC`],
    ['updated', `${formatTime(sb.updatedAt)} UTC`],
    ['expires', sb.expiresAt ? `${formatTime(sb.expiresAt)} UTC` : '-'],
    ...lifecycleRows(sb),
    ['cpu', `${sb.cpu} cores`],
    ['memory', formatSize(sb.memory)],
    ...diskRows(sb),
    ['network', sb.networkMode],
    ...networkRows(sb),
    ...secretRows(sb),
    // Names only: values may be secrets (`--json` has them).
    ['env', Object.keys(sb.env ?? {}).join(', ') || '-'],
    ['metadata', formatMetadata(sb.metadata)],
  ]
  return formatDetails(pairs)
}

/** Its root filesystem size: `unlimited` when null; none from an older server, which sends none. */
function diskRows(sb: Sandbox): [string, string][] {
  if (sb.diskBytes === undefined) return []
  return [['disk', sb.diskBytes === null ? 'unlimited' : formatSize(sb.diskBytes)]]
}

/** Its secrets' names and where each goes (values are never sent); none without secrets. */
function secretRows(sb: Sandbox): [string, string][] {
  const secrets = Object.entries(sb.secrets ?? {})
  if (!secrets.length) return []
  return [
    ['secrets', secrets.map(([name, { hosts }]) => `${name} -> ${hosts.join(', ')}`).join('; ')],
  ]
}

/** The allow list and refusals of a sandbox behind the egress gateway (older servers send none). */
function networkRows(sb: Sandbox): [string, string][] {
  if (!sb.network || (sb.network.allow.length === 0 && sb.network.denied.count === 0)) return []
  return [
    ['allow', sb.network.allow.join(', ') || '-'],
    ['denied', String(sb.network.denied.count)],
  ]
}

/** The view of `wm sandbox network`: the policy, then the latest refusals, newest first. */
export function formatNetworkStatus(status: NetworkStatus): string {
  const pairs: [string, string][] = [
    ['mode', status.mode],
    ['allow', status.allow.join(', ') || '-'],
    ['denied', String(status.denied.count)],
  ]
  const recent = status.denied.recent.map(
    (entry) =>
      `  ${formatTime(entry.at)} UTC  ${printable(entry.host)}${entry.port === null ? ' (lookup)' : `:${entry.port}`}\n`,
  )
  return formatDetails(pairs) + recent.join('')
}

/** Rows of the lifecycle settings, each only when the server sent it (older servers do not). */
function lifecycleRows(sb: Sandbox): [string, string][] {
  const rows: [string, string][] = []
  if (sb.desiredState && sb.desiredState !== sb.state) rows.push(['desired', sb.desiredState])
  if (sb.onTimeout) rows.push(['on timeout', sb.onTimeout])
  if (sb.onIdle) rows.push(['on idle', sb.onIdle])
  if (sb.autoResume !== undefined) rows.push(['auto resume', sb.autoResume ? 'yes' : 'no'])
  return rows
}

/** What `wm server status` shows: `/health` and `/ready` of the server that answered. */
export interface ServerStatus {
  health: ServerHealth
  readiness: ServerReadiness
}

/** The key/value view of `wm server status`: the replica, who leads, and each readiness check. */
export function formatServerStatus({ health, readiness }: ServerStatus): string {
  const { replica } = health
  return formatDetails([
    ['version', health.version],
    ['replica', replica.id],
    ['leader', replica.leader ? 'yes' : 'no'],
    ['leader id', replica.leaderId ?? '-'],
    ['ready', readiness.ready ? 'yes' : 'no'],
    ...Object.entries(readiness.checks).map(([name, result]): [string, string] => [
      `check ${name}`,
      result,
    ]),
  ])
}

/** Message text of any thrown value. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The one-line error for stderr: `wm: <message> (code N)` (no code for client-side failures). */
export function formatErrorLine(error: unknown): string {
  const code = error instanceof WorkspaceError && error.code !== 0 ? ` (code ${error.code})` : ''
  return `wm: ${printable(messageOf(error))}${code}\n`
}

/** The JSON error object written to stderr with `--json`. */
export function formatErrorJson(error: unknown, exitCode: number): string {
  const base = { name: error instanceof Error ? error.name : 'Error', message: messageOf(error) }
  const api =
    error instanceof WorkspaceError
      ? { code: error.code, status: error.status, details: error.details }
      : { code: 0, status: 0, details: {} }
  return `${JSON.stringify({ error: { ...base, ...api, exitCode } })}\n`
}
