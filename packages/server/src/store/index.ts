export type {
  MetadataStore,
  WorkspaceRecord,
  SandboxRecord,
  SandboxStateName,
  SandboxUpdate,
  SandboxSecret,
  SandboxSecrets,
  WorkspaceUpdate,
  SandboxFilter,
  CheckpointRecord,
  Coordination,
  LeaderLease,
} from './types.js'
export { SqliteStore } from './sqlite.js'
export { PostgresStore, type PostgresStoreOptions } from './postgres.js'
export { openStore } from './open.js'
export { StoreUnavailableError } from './errors.js'
export { ValueSealer, loadOrCreateKey } from './sealed-values.js'
export { SINGLE_SERVER } from './single-server.js'
