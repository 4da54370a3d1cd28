export type {
  MetadataStore,
  WorkspaceRecord,
  SandboxRecord,
  SandboxStateName,
  SandboxUpdate,
  SandboxFilter,
  CheckpointRecord,
  Coordination,
  LeaderLease,
} from './types.js'
export { SqliteStore } from './sqlite.js'
export { ValueSealer, loadOrCreateKey } from './sealed-values.js'
export { SINGLE_SERVER } from './single-server.js'
