import type {
  DesiredStateName,
  LifecycleActionName,
  SandboxFilter,
  SandboxRecord,
  SandboxUpdate,
} from './types.js'
import type { ValueSealer } from './sealed-values.js'
import type { PgDb, Queryable } from './postgres-db.js'

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
  desired_state: DesiredStateName
  operation: string | null
  on_idle: LifecycleActionName
  on_timeout: LifecycleActionName
  auto_resume: boolean
  image: string | null
}

/** The columns of SandboxRow, named for the prepared read of one row. */
const COLUMNS = `id, workspace_id, name, template, state, env, metadata, timeout, nano_cpus,
  memory_bytes, network_mode, application_kind, error_message, agent_token, created_at,
  updated_at, expires_at, desired_state, operation, on_idle, on_timeout, auto_resume, image`

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
    desiredState: row.desired_state,
    operation: row.operation,
    onIdle: row.on_idle,
    onTimeout: row.on_timeout,
    autoResume: row.auto_resume,
    image: row.image,
  }
}

/** Columns an update may set, by field of SandboxUpdate. */
const UPDATE_COLUMNS: Record<keyof SandboxUpdate, string> = {
  state: 'state',
  errorMessage: 'error_message',
  desiredState: 'desired_state',
  operation: 'operation',
  image: 'image',
  expiresAt: 'expires_at',
}

/** Sandbox rows in PostgreSQL; used by PostgresStore. Env and agent token are sealed with `sealer`. */
export class PgSandboxes {
  readonly #db: PgDb
  readonly #secrets: Secrets

  constructor(db: PgDb, sealer?: ValueSealer) {
    this.#db = db
    this.#secrets = sealer ?? inTheClear
  }

  async insert(record: SandboxRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO sandboxes (id, workspace_id, name, template, state, env, metadata, timeout,
         nano_cpus, memory_bytes, network_mode, application_kind, error_message, agent_token,
         created_at, updated_at, expires_at, desired_state, operation, on_idle, on_timeout,
         auto_resume, image)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
         $19, $20, $21, $22, $23)`,
      [
        record.id,
        record.workspaceId,
        record.name,
        record.template,
        record.state,
        record.env === null ? null : this.#secrets.seal(JSON.stringify(record.env)),
        record.metadata === null ? null : JSON.stringify(record.metadata),
        record.timeout,
        record.nanoCpus,
        record.memoryBytes,
        record.networkMode,
        record.applicationKind,
        record.errorMessage,
        this.#secrets.seal(record.agentToken),
        record.createdAt,
        record.updatedAt,
        record.expiresAt,
        record.desiredState,
        record.operation,
        record.onIdle,
        record.onTimeout,
        record.autoResume,
        record.image,
      ],
    )
  }

  async get(id: string): Promise<SandboxRecord | undefined> {
    // Every call on a sandbox reads its row first: prepared once per connection.
    const { rows } = await this.#db.prepared<SandboxRow>(
      'wm_get_sandbox',
      `SELECT ${COLUMNS} FROM sandboxes WHERE id = $1`,
      [id],
    )
    return rows[0] && toRecord(rows[0], this.#secrets)
  }

  async list(filter: SandboxFilter = {}): Promise<SandboxRecord[]> {
    const clauses: string[] = []
    const params: string[] = []
    if (filter.workspaceId !== undefined) {
      params.push(filter.workspaceId)
      clauses.push(`workspace_id = $${params.length}`)
    }
    if (filter.state !== undefined) {
      params.push(filter.state)
      clauses.push(`state = $${params.length}`)
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''
    const { rows } = await this.#db.query<SandboxRow>(
      `SELECT * FROM sandboxes ${where} ORDER BY seq`,
      params,
    )
    return rows.map((row) => toRecord(row, this.#secrets))
  }

  async update(id: string, update: SandboxUpdate): Promise<SandboxRecord | undefined> {
    const params: unknown[] = [id, new Date().toISOString()]
    const sets = ['updated_at = $2']
    for (const [field, column] of Object.entries(UPDATE_COLUMNS)) {
      const value = update[field as keyof SandboxUpdate]
      if (value === undefined) continue
      params.push(value)
      sets.push(`${column} = $${params.length}`)
    }
    const { rows } = await this.#db.query<SandboxRow>(
      `UPDATE sandboxes SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
      params,
    )
    return rows[0] && toRecord(rows[0], this.#secrets)
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM sandboxes WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }

  /** How many sandboxes use the workspace, read inside the caller's transaction. */
  async countForWorkspace(client: Queryable, workspaceId: string): Promise<number> {
    const { rows } = await client.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM sandboxes WHERE workspace_id = $1',
      [workspaceId],
    )
    return rows[0]?.n ?? 0
  }
}
