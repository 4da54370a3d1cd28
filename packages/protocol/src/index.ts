export {
  ErrorCodes,
  errorInfoForCode,
  allErrorCodes,
  ClientErrorCodes,
  type ErrorCodeInfo,
  type ErrorEnvelope,
  type ErrorKey,
  type SdkErrorName,
} from './errors.js'
export {
  StringMap,
  ErrorResponse,
  Workspace,
  Limits,
  CreateWorkspaceBody,
  UpdateWorkspaceBody,
  QuotaLimits,
  WorkspaceList,
  FileType,
  FileInfo,
  FileList,
  MkdirBody,
  WorkspacePath,
  TransferBody,
  HealthResponse,
  ReplicaStatus,
} from './schemas.js'
export {
  SandboxState,
  DesiredState,
  LifecycleAction,
  Sandbox,
  CreateSandboxBody,
  SandboxList,
  RunProcessBody,
  CommandResult,
  ProcessInfo,
  ProcessList,
  SignalBody,
} from './sandboxes.js'
export {
  CheckpointKind,
  Checkpoint,
  CreateCheckpointBody,
  CheckpointList,
  ApplicationKind,
  ApplicationKindList,
  SplunkSearchBody,
  SplunkSearchResult,
} from './seed000.js'
export { FileTokenOperation, CreateFileTokenBody, FileToken, PortHint } from './access.js'
export {
  NetworkPolicyMode,
  NetworkPolicyBody,
  NetworkStatus,
  DeniedDestination,
  MAX_ALLOW_ENTRIES,
} from './network.js'
export {
  SecretSpec,
  SecretsBody,
  SecretStatus,
  SecretsStatus,
  MAX_SECRETS,
  MAX_SECRET_HOSTS,
  MAX_SECRET_VALUE,
  SECRET_NAME_PATTERN,
} from './secrets.js'
