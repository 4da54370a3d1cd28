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
  CommandExitError,
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
  type NfsFailureReason,
  type CommandOutput,
  type WorkspaceErrorInit,
} from './errors.js'
export { WorkspaceService } from './services/workspace.js'
export { SandboxService } from './services/sandbox.js'
export { ProcessService } from './services/process.js'
export { PtyService } from './services/pty.js'
export { NfsService } from './services/nfs.js'
export { ServerService } from './services/server.js'
export type { ReplicaStatus, ServerHealth, ServerReadiness } from './server-types.js'
export type { CommandOutcome, LocalSystem } from './services/local-system.js'
export type { MountEntry } from './mount-table.js'
export { NFS_VERSIONS, type NfsMountOptions, type NfsVersion } from './nfs-command.js'
export type { UploadContent } from './request-body.js'
export type {
  CallOptions,
  CreateWorkspaceParams,
  UpdateWorkspaceParams,
  DeleteFileOptions,
  FileInfo,
  FileType,
  MkdirOptions,
  TransferOptions,
  Workspace,
  WriteFileOptions,
} from './types.js'
export type {
  CreateSandboxOptions,
  CreateSandboxParams,
  DeleteSandboxOptions,
  DesiredState,
  LifecycleAction,
  ListSandboxesOptions,
  NetworkMode,
  NetworkPolicy,
  NetworkStatus,
  DeniedDestination,
  Sandbox,
  SandboxState,
  SecretSpec,
  SecretStatus,
  WaitForStateOptions,
} from './sandbox-types.js'
export type {
  AttachOptions,
  CommandOptions,
  CommandResult,
  ProcessEvent,
  ProcessHandle,
  ProcessInfo,
  RawOutput,
  RawOutputExit,
  RunOptions,
  SendStdinOptions,
  ShellOptions,
  StartOptions,
  StreamOptions,
} from './process-types.js'
export type {
  PtyAttachOptions,
  PtyCallbacks,
  PtyCloseInfo,
  PtyConnectOptions,
  PtyOpenOptions,
  PtySession,
  PtyToken,
} from './pty-types.js'
export {
  SPLUNK_KIND,
  SplunkWorkspace,
  WorkspaceHandle,
  WorkspaceManagerClient,
  splunkCredentials,
  type ApplicationKind,
  type Checkpoint,
  type CheckpointKind,
  type CreateWorkspaceOptions,
  type DeleteWorkspaceOptions,
  type ExecOptions,
  type FileToken,
  type FileTokenOperation,
  type HealthStatus,
  type PortHint,
  type SplunkCredentialOptions,
  type SplunkSearchOptions,
  type SplunkWorkspaceOptions,
  type WorkspaceManagerClientOptions,
} from './manager/index.js'
