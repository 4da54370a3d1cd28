import type {
  CheckpointRecord,
  DesiredStateName,
  LifecycleActionName,
  SandboxRecord,
  SandboxSecrets,
  WorkspaceRecord,
} from './types.js'
import type { ValueSealer } from './sealed-values.js'

/*
 * The rows both stores keep (SQLite and PostgreSQL have the same columns) and
 * their conversion to and from records, so that the two stores cannot drift
 * apart in what a column holds. Each store's SQL stays in its own files; the
 * column lists here are what it inserts and reads.
 */

/** A workspaces row. */
export interface WorkspaceRow {
  id: string
  name: string | null
  metadata: string | null
  created_at: string
  updated_at: string
  quota_bytes: number | null
  quota_id: number | null
}

/** The columns of WorkspaceRow, in the order the stores insert them. */
export const WORKSPACE_COLUMNS = [
  'id',
  'name',
  'metadata',
  'created_at',
  'updated_at',
  'quota_bytes',
  'quota_id',
] as const satisfies readonly (keyof WorkspaceRow)[]

/** A checkpoints row. */
export interface CheckpointRow {
  id: string
  sandbox_id: string
  workspace_id: string
  name: string | null
  kind: CheckpointRecord['kind']
  image: string
  created_at: string
}

/** The columns of CheckpointRow, in the order the stores insert them. */
export const CHECKPOINT_COLUMNS = [
  'id',
  'sandbox_id',
  'workspace_id',
  'name',
  'kind',
  'image',
  'created_at',
] as const satisfies readonly (keyof CheckpointRow)[]

/**
 * A sandboxes row. The lifecycle columns are nullable in SQLite (added by a
 * migration, so older rows have none) and NOT NULL in PostgreSQL; a boolean
 * is stored as 0/1 in SQLite and as a boolean in PostgreSQL.
 */
export interface SandboxRow {
  id: string
  workspace_id: string
  name: string | null
  template: string
  state: SandboxRecord['state']
  env: string | null
  metadata: string | null
  timeout: number | null
  nano_cpus: number
  memory_bytes: number
  /** Null when unlimited (and in rows written before the column). */
  disk_bytes: number | null
  /** Sealed JSON of the sandbox's secrets and CA (SandboxSecrets); null without secrets. */
  egress_secrets: string | null
  network_mode: string
  application_kind: string | null
  error_message: string | null
  agent_token: string
  created_at: string
  updated_at: string
  expires_at: string | null
  desired_state: DesiredStateName | null
  operation: string | null
  on_idle: LifecycleActionName | null
  on_timeout: LifecycleActionName | null
  auto_resume: StoredBoolean | null
  image: string | null
  /** JSON array of the allow list; null when the sandbox is not behind the egress gateway. */
  network_allow: string | null
}

/** The columns of SandboxRow, in the order the stores insert them. */
export const SANDBOX_COLUMNS = [
  'id',
  'workspace_id',
  'name',
  'template',
  'state',
  'env',
  'metadata',
  'timeout',
  'nano_cpus',
  'memory_bytes',
  'network_mode',
  'application_kind',
  'error_message',
  'agent_token',
  'created_at',
  'updated_at',
  'expires_at',
  'desired_state',
  'operation',
  'on_idle',
  'on_timeout',
  'auto_resume',
  'image',
  'network_allow',
  'disk_bytes',
  'egress_secrets',
] as const satisfies readonly (keyof SandboxRow)[]

/** A boolean column as a store keeps it: SQLite has no boolean type, PostgreSQL has. */
export type StoredBoolean = 0 | 1 | boolean

/** How a store writes booleans: `integer` (0/1, SQLite) or `boolean` (PostgreSQL). */
export type BooleanEncoding = 'integer' | 'boolean'

/** Seals and opens the secret columns (env, agent_token, egress_secrets). */
export type Secrets = Pick<ValueSealer, 'seal' | 'open'>

/** The identity, for a store opened without a sealer. */
export const inTheClear: Secrets = { seal: (plain) => plain, open: (stored) => stored }

/** The values of `row` in the order of `columns`, for positional parameters. */
export function columnValues<Row>(row: Row, columns: readonly (keyof Row)[]): unknown[] {
  return columns.map((column) => row[column])
}

const fromJson = (value: string | null) =>
  value === null ? null : (JSON.parse(value) as Record<string, string>)

const toJson = (value: Record<string, string> | null) =>
  value === null ? null : JSON.stringify(value)

/** What a row written before the desired-state column was being driven to. */
function impliedDesiredState(state: SandboxRecord['state']): DesiredStateName {
  if (state === 'stopped') return 'stopped'
  if (state === 'paused' || state === 'pausing') return 'paused'
  return 'running'
}

/** The row of a workspace record. */
export function workspaceToRow(record: WorkspaceRecord): WorkspaceRow {
  return {
    id: record.id,
    name: record.name,
    metadata: toJson(record.metadata),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    quota_bytes: record.quotaBytes,
    quota_id: record.quotaId,
  }
}

/** The record of a workspaces row. */
export function workspaceFromRow(row: WorkspaceRow): WorkspaceRecord {
  return {
    id: row.id,
    name: row.name,
    metadata: fromJson(row.metadata),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    quotaBytes: row.quota_bytes,
    quotaId: row.quota_id,
  }
}

/** The row of a checkpoint record. */
export function checkpointToRow(record: CheckpointRecord): CheckpointRow {
  return {
    id: record.id,
    sandbox_id: record.sandboxId,
    workspace_id: record.workspaceId,
    name: record.name,
    kind: record.kind,
    image: record.image,
    created_at: record.createdAt,
  }
}

/** The record of a checkpoints row. */
export function checkpointFromRow(row: CheckpointRow): CheckpointRecord {
  return {
    id: row.id,
    sandboxId: row.sandbox_id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind,
    image: row.image,
    createdAt: row.created_at,
  }
}

/** The row of a sandbox record, its env and agent token sealed with `secrets`. */
export function sandboxToRow(
  record: SandboxRecord,
  secrets: Secrets,
  booleans: BooleanEncoding,
): SandboxRow {
  return {
    id: record.id,
    workspace_id: record.workspaceId,
    name: record.name,
    template: record.template,
    state: record.state,
    env: record.env === null ? null : secrets.seal(JSON.stringify(record.env)),
    metadata: toJson(record.metadata),
    timeout: record.timeout,
    nano_cpus: record.nanoCpus,
    memory_bytes: record.memoryBytes,
    network_mode: record.networkMode,
    application_kind: record.applicationKind,
    error_message: record.errorMessage,
    agent_token: secrets.seal(record.agentToken),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    expires_at: record.expiresAt,
    desired_state: record.desiredState,
    operation: record.operation,
    on_idle: record.onIdle,
    on_timeout: record.onTimeout,
    auto_resume: booleans === 'integer' ? (record.autoResume ? 1 : 0) : record.autoResume,
    image: record.image,
    network_allow: record.networkAllow === null ? null : JSON.stringify(record.networkAllow),
    disk_bytes: record.diskBytes,
    egress_secrets:
      record.egressSecrets === null ? null : secrets.seal(JSON.stringify(record.egressSecrets)),
  }
}

/**
 * The record of a sandboxes row, its env and agent token opened with
 * `secrets`. Lifecycle columns a row has no value in read as they were before
 * the columns existed: the desired state its observed state implies, delete
 * on idle and on timeout, no auto-resume.
 */
export function sandboxFromRow(row: SandboxRow, secrets: Secrets): SandboxRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    template: row.template,
    state: row.state,
    env: fromJson(row.env === null ? null : secrets.open(row.env)),
    metadata: fromJson(row.metadata),
    timeout: row.timeout,
    nanoCpus: row.nano_cpus,
    memoryBytes: row.memory_bytes,
    diskBytes: row.disk_bytes,
    networkMode: row.network_mode,
    applicationKind: row.application_kind,
    errorMessage: row.error_message,
    agentToken: secrets.open(row.agent_token),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    desiredState: row.desired_state ?? impliedDesiredState(row.state),
    operation: row.operation,
    onIdle: row.on_idle ?? 'delete',
    onTimeout: row.on_timeout ?? 'delete',
    autoResume: row.auto_resume === 1 || row.auto_resume === true,
    image: row.image,
    networkAllow: row.network_allow === null ? null : (JSON.parse(row.network_allow) as string[]),
    egressSecrets:
      row.egress_secrets === null
        ? null
        : (JSON.parse(secrets.open(row.egress_secrets)) as SandboxSecrets),
  }
}
