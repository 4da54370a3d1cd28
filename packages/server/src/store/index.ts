export type {
  MetadataStore,
  WorkspaceRecord,
  SandboxRecord,
  SandboxStateName,
  SandboxUpdate,
  SandboxFilter,
  CheckpointRecord,
} from './types.js'
export { SqliteStore } from './sqlite.js'
export { ValueSealer, loadOrCreateKey } from './sealed-values.js'
