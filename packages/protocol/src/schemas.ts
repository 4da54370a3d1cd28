/**
 * TypeBox schemas of the wire format (JSON, snake_case), shared by the
 * server's route schemas and the SDKs' types.
 */
import { Type, type Static, type StringOptions } from '@sinclair/typebox'

/** String-to-string map used for metadata and env. */
export const StringMap = Type.Record(Type.String(), Type.String(), {
  description: 'String keys to string values',
})

/** Error envelope returned with every 4xx/5xx status. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Integer({ description: 'Error code from the table in the documentation' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { title: 'ErrorResponse' },
)

/** A workspace: persistent storage that sandboxes mount. */
export const Workspace = Type.Object(
  {
    id: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Union([StringMap, Type.Null()]),
    nfs_url: Type.Union([Type.String(), Type.Null()], {
      description: 'NFS URL of the workspace export; null while NFS is not enabled',
    }),
    created_at: Type.String({ description: 'ISO 8601 time' }),
    updated_at: Type.String({ description: 'ISO 8601 time' }),
    quota_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Disk quota the kernel enforces on the workspace; null when unlimited',
    }),
    used_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description:
        'Bytes the workspace takes, as the quota counts them; null where the data directory cannot count them',
    }),
  },
  { title: 'Workspace' },
)
export type Workspace = Static<typeof Workspace>

/** Limits on names and metadata, shared so SDKs can check early. */
export const Limits = {
  nameMaxLength: 128,
  metadataMaxEntries: 64,
  metadataKeyMaxLength: 128,
  metadataValueMaxLength: 4096,
} as const

/** An optional display name in a create request. */
export const NameInput = Type.Optional(
  Type.Union([Type.String({ minLength: 1, maxLength: Limits.nameMaxLength }), Type.Null()]),
)

/** Optional metadata in a create request, within the limits above. */
export const MetadataInput = Type.Optional(
  Type.Union([
    Type.Record(
      Type.String({ minLength: 1, maxLength: Limits.metadataKeyMaxLength }),
      Type.String({ maxLength: Limits.metadataValueMaxLength }),
      // TypeBox turns a constrained key type into `^(.*)$`; propertyNames keeps the limits.
      {
        maxProperties: Limits.metadataMaxEntries,
        propertyNames: { minLength: 1, maxLength: Limits.metadataKeyMaxLength },
      },
    ),
    Type.Null(),
  ]),
)

/** Smallest and largest workspace quota accepted (1 MiB; the largest exact JSON integer). */
export const QuotaLimits = { minBytes: 1024 ** 2, maxBytes: Number.MAX_SAFE_INTEGER } as const

/** A workspace disk quota in bytes in a request; null means unlimited. */
export const QuotaInput = Type.Optional(
  Type.Union([
    Type.Integer({
      minimum: QuotaLimits.minBytes,
      maximum: QuotaLimits.maxBytes,
      description: 'Disk quota in bytes (at least 1 MiB); null for unlimited',
    }),
    Type.Null(),
  ]),
)

/** Body of `POST /v1/workspaces`. */
export const CreateWorkspaceBody = Type.Object(
  { name: NameInput, metadata: MetadataInput, quota_bytes: QuotaInput },
  { additionalProperties: false },
)
export type CreateWorkspaceBody = Static<typeof CreateWorkspaceBody>

/** Body of `PATCH /v1/workspaces/{id}`: the fields to change. */
export const UpdateWorkspaceBody = Type.Object(
  { quota_bytes: QuotaInput },
  { additionalProperties: false },
)
export type UpdateWorkspaceBody = Static<typeof UpdateWorkspaceBody>

/** Reply of `GET /v1/workspaces`. */
export const WorkspaceList = Type.Object({ workspaces: Type.Array(Workspace) })
export type WorkspaceList = Static<typeof WorkspaceList>

/** Kind of a directory entry. */
export const FileType = Type.Union([
  Type.Literal('file'),
  Type.Literal('directory'),
  Type.Literal('symlink'),
])
export type FileType = Static<typeof FileType>

/** Description of one file, directory or symlink in a workspace. */
export const FileInfo = Type.Object(
  {
    name: Type.String(),
    path: Type.String({ description: 'Path relative to the workspace root, "/"-separated' }),
    type: FileType,
    size: Type.Integer({ minimum: 0 }),
    modified_at: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'FileInfo' },
)
export type FileInfo = Static<typeof FileInfo>

/** Reply of `GET /v1/workspaces/{id}/files`. */
export const FileList = Type.Object({ files: Type.Array(FileInfo) })
export type FileList = Static<typeof FileList>

/**
 * A workspace-relative, `/`-separated path: at most 4096 UTF-8 bytes, each
 * name at most 255 (the file system's limits; the schema can only count
 * characters, the server counts bytes and answers 400 code 1001 past them).
 */
export function WorkspacePath(options: StringOptions = {}) {
  return Type.String({
    maxLength: 4096,
    pattern: '^[^/]{0,255}(/[^/]{0,255})*$',
    description:
      'Path relative to the workspace root; at most 4096 bytes, each name at most 255 bytes',
    ...options,
  })
}

/** Body of `POST .../files/mkdir`. */
export const MkdirBody = Type.Object(
  { path: WorkspacePath({ minLength: 1 }), parents: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
export type MkdirBody = Static<typeof MkdirBody>

/** Body of `POST .../files/copy` and `.../files/move`. */
export const TransferBody = Type.Object(
  {
    source: WorkspacePath({ minLength: 1 }),
    destination: WorkspacePath({ minLength: 1 }),
    overwrite: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type TransferBody = Static<typeof TransferBody>

/** Reply of `GET /health`. */
/** This server among the replicas of one store: whether it holds the leader lease, and who does. */
export const ReplicaStatus = Type.Object({
  id: Type.String({ description: 'WM_REPLICA_ID of the server that answered' }),
  leader: Type.Boolean({ description: 'true on the replica doing the background work' }),
  leader_id: Type.Union([Type.String(), Type.Null()], {
    description: 'the replica that holds the leader lease, as last seen (null before any)',
  }),
})
export type ReplicaStatus = Static<typeof ReplicaStatus>

export const HealthResponse = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  replica: ReplicaStatus,
})
export type HealthResponse = Static<typeof HealthResponse>
