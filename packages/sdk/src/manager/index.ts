/** The seed-000 style client: one-call workspaces backed by a sandbox, and the Splunk helper. */
export { WorkspaceManagerClient } from './client.js'
export { WorkspaceHandle } from './handle.js'
export {
  SPLUNK_KIND,
  SplunkWorkspace,
  splunkCredentials,
  type SplunkCredentialOptions,
  type SplunkWorkspaceOptions,
} from './splunk.js'
export type {
  ApplicationKind,
  Checkpoint,
  CheckpointKind,
  CreateWorkspaceOptions,
  DeleteWorkspaceOptions,
  ExecOptions,
  FileToken,
  FileTokenOperation,
  HealthStatus,
  PortHint,
  SplunkSearchOptions,
  WorkspaceManagerClientOptions,
} from './types.js'
