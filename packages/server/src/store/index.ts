export type { MetadataStore, WorkspaceRecord } from './types.js'
export { SqliteStore } from './sqlite.js'
