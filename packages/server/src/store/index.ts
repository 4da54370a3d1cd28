export type {
  MetadataStore,
  WorkspaceRecord,
  SandboxRecord,
  SandboxStateName,
  SandboxUpdate,
  SandboxFilter,
} from './types.js'
export { SqliteStore } from './sqlite.js'
