import type Database from 'better-sqlite3'
import type {
  DesiredStateName,
  LifecycleActionName,
  SandboxFilter,
  SandboxRecord,
  SandboxUpdate,
} from './types.js'
import type { ValueSealer } from './sealed-values.js'

interface SandboxRow {
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
  auto_resume: number | null
  image: string | null
}

/** What a row written before the desired-state column was being driven to. */
function impliedDesiredState(state: SandboxRecord['state']): DesiredStateName {
  if (state === 'stopped') return 'stopped'
  if (state === 'paused' || state === 'pausing') return 'paused'
  return 'running'
}

const json = (value: string | null) =>
  value === null ? null : (JSON.parse(value) as Record<string, string>)

/** Seals and opens the secret columns (env, agent_token); the identity when there is no sealer. */
type Secrets = Pick<ValueSealer, 'seal' | 'open'>
const inTheClear: Secrets = { seal: (plain) => plain, open: (stored) => stored }

function toRecord(row: SandboxRow, secrets: Secrets): SandboxRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    template: row.template,
    state: row.state,
    env: json(row.env === null ? null : secrets.open(row.env)),
    metadata: json(row.metadata),
    timeout: row.timeout,
    nanoCpus: row.nano_cpus,
    memoryBytes: row.memory_bytes,
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
    autoResume: row.auto_resume === 1,
    image: row.image,
  }
}

/** Sandbox rows in SQLite; used by SqliteStore. Env and agent token are sealed with `sealer`. */
export class SqliteSandboxes {
  readonly #db: Database.Database
  readonly #secrets: Secrets

  constructor(db: Database.Database, sealer?: ValueSealer) {
    this.#db = db
    this.#secrets = sealer ?? inTheClear
  }

  insert(record: SandboxRecord): void {
    this.#db
      .prepare(
        `INSERT INTO sandboxes (id, workspace_id, name, template, state, env, metadata, timeout,
           nano_cpus, memory_bytes, network_mode, application_kind, error_message, agent_token,
           created_at, updated_at, expires_at, desired_state, operation, on_idle, on_timeout,
           auto_resume, image)
         VALUES (@id, @workspaceId, @name, @template, @state, @env, @metadata, @timeout,
           @nanoCpus, @memoryBytes, @networkMode, @applicationKind, @errorMessage, @agentToken,
           @createdAt, @updatedAt, @expiresAt, @desiredState, @operation, @onIdle, @onTimeout,
           @autoResume, @image)`,
      )
      .run({
        ...record,
        env: record.env === null ? null : this.#secrets.seal(JSON.stringify(record.env)),
        agentToken: this.#secrets.seal(record.agentToken),
        metadata: record.metadata === null ? null : JSON.stringify(record.metadata),
        autoResume: record.autoResume ? 1 : 0,
      })
  }

  get(id: string): SandboxRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM sandboxes WHERE id = ?').get(id) as
      SandboxRow | undefined
    return row && toRecord(row, this.#secrets)
  }

  list(filter: SandboxFilter = {}): SandboxRecord[] {
    const clauses: string[] = []
    const params: string[] = []
    if (filter.workspaceId !== undefined) {
      clauses.push('workspace_id = ?')
      params.push(filter.workspaceId)
    }
    if (filter.state !== undefined) {
      clauses.push('state = ?')
      params.push(filter.state)
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''
    const rows = this.#db
      .prepare(`SELECT * FROM sandboxes ${where} ORDER BY seq`)
      .all(...params) as SandboxRow[]
    return rows.map((row) => toRecord(row, this.#secrets))
  }

  update(id: string, update: SandboxUpdate): SandboxRecord | undefined {
    const sets = ['updated_at = @updatedAt']
    if (update.state !== undefined) sets.push('state = @state')
    if (update.errorMessage !== undefined) sets.push('error_message = @errorMessage')
    if (update.desiredState !== undefined) sets.push('desired_state = @desiredState')
    if (update.operation !== undefined) sets.push('operation = @operation')
    if (update.image !== undefined) sets.push('image = @image')
    if (update.expiresAt !== undefined) sets.push('expires_at = @expiresAt')
    const changes = this.#db
      .prepare(`UPDATE sandboxes SET ${sets.join(', ')} WHERE id = @id`)
      .run({ ...update, id, updatedAt: new Date().toISOString() }).changes
    return changes ? this.get(id) : undefined
  }

  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM sandboxes WHERE id = ?').run(id).changes > 0
  }

  countForWorkspace(workspaceId: string): number {
    const row = this.#db
      .prepare('SELECT COUNT(*) AS n FROM sandboxes WHERE workspace_id = ?')
      .get(workspaceId) as { n: number }
    return row.n
  }
}
