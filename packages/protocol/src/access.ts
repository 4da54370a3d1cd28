/**
 * Wire schemas of direct file tokens and port hints (JSON, snake_case).
 */
import { Type, type Static } from '@sinclair/typebox'
import { WorkspacePath } from './schemas.js'

/** What a file token allows: `upload` = PUT files/content, `download` = GET files/content. */
export const FileTokenOperation = Type.Union([Type.Literal('upload'), Type.Literal('download')], {
  description: 'upload = PUT files/content, download = GET files/content',
})
export type FileTokenOperation = Static<typeof FileTokenOperation>

/** Body of `POST /v1/workspaces/{id}/files/tokens`. */
export const CreateFileTokenBody = Type.Object(
  {
    path: WorkspacePath(),
    operation: FileTokenOperation,
  },
  { additionalProperties: false },
)
export type CreateFileTokenBody = Static<typeof CreateFileTokenBody>

/** A minted file token and the URL that uses it. */
export const FileToken = Type.Object(
  {
    token: Type.String(),
    url: Type.String({ description: 'files/content URL carrying the token in the query string' }),
    expires_at: Type.String({ description: 'ISO 8601 time' }),
    operation: FileTokenOperation,
    path: Type.String({ description: 'The normalised path the token is good for' }),
    header: Type.String({
      description: 'Header that may carry the token instead (`Bearer <token>` or the bare token)',
    }),
    query_param: Type.String({ description: 'Query parameter that carries the token in `url`' }),
  },
  { title: 'FileToken' },
)
export type FileToken = Static<typeof FileToken>

/** Reply of `GET /v1/sandboxes/{id}/ports/{port}`. */
export const PortHint = Type.Object(
  {
    host: Type.String({
      description:
        'WORKSPACE_PORT_PROXY_HOST, else the host of DOCKER_HOST when it is tcp://, else the host the request came to',
    }),
    port: Type.Integer(),
    url: Type.String({ description: 'Authenticated reverse-proxy URL of the port' }),
  },
  { title: 'PortHint' },
)
export type PortHint = Static<typeof PortHint>
