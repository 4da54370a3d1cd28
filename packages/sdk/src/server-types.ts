/** Public data types of `client.server` (camelCase mirrors of `/health` and `/ready`). */

/** Where the answering server stands among the replicas sharing one store. */
export interface ReplicaStatus {
  /** The answering server's name (`WM_REPLICA_ID`, default `<hostname>:<port>`). */
  id: string
  /** True on the replica that holds the leader lease and does the background work. */
  leader: boolean
  /** The replica holding the leader lease as last seen in the store; `null` before any took it. */
  leaderId: string | null
}

/** Reply of `GET /health`: the server is up, which version it runs and where it stands. */
export interface ServerHealth {
  /** Always `'ok'` when the server answers at all. */
  status: 'ok'
  /** Version of the server. */
  version: string
  /** This replica's view of the leader lease. */
  replica: ReplicaStatus
}

/** Outcome of `GET /ready`: whether every dependency of the server answers. */
export interface ServerReadiness {
  /** True when every check passed (HTTP 200); false on a 503 with code 1006. */
  ready: boolean
  /** Each check by name (`store`, `engine`, ...): `'ok'`, or why it failed. */
  checks: Record<string, string>
}
