export {
  ErrorCodes,
  errorInfoForCode,
  allErrorCodes,
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
  WorkspaceList,
  FileType,
  FileInfo,
  FileList,
  MkdirBody,
  TransferBody,
  HealthResponse,
} from './schemas.js'
