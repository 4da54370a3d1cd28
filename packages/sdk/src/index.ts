/**
 * TypeScript SDK for Workspace Manager: isolated sandboxes bound to persistent
 * workspaces, over the service's HTTP API.
 *
 * @packageDocumentation
 */
export { WorkspaceClient } from './client.js'
export {
  DEFAULT_API_URL,
  resolveClientConfig,
  type ClientEnvironment,
  type ResolvedClientConfig,
  type WorkspaceClientOptions,
} from './config.js'
export {
  AgentNotConnectedError,
  FileNotFoundError,
  PermissionDeniedError,
  ProcessTimeoutError,
  PtyNotFoundError,
  SandboxNotFoundError,
  TemplateNotFoundError,
  WorkspaceError,
  WorkspaceNotFoundError,
  sdkError,
  type ClientFailureReason,
  type WorkspaceErrorInit,
} from './errors.js'
export { WorkspaceService } from './services/workspace.js'
export type { UploadContent } from './request-body.js'
export type {
  CallOptions,
  CreateWorkspaceParams,
  DeleteFileOptions,
  FileInfo,
  FileType,
  MkdirOptions,
  TransferOptions,
  Workspace,
  WriteFileOptions,
} from './types.js'
