import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CreateFileTokenBody, FileToken } from '@workspace-manager/protocol'
import type { Config } from '../config/index.js'
import { ApiError } from '../errors.js'
import { publicBase } from '../http/origin.js'
import type { TokenSigner } from '../services/tokens.js'
import type { WorkspaceService } from '../services/workspaces.js'
import { parsePath } from '../storage/path.js'
import { BODY_ERRORS, IdParams, errorResponses } from './common.js'

/** The route a file token opens. */
const CONTENT_ROUTE = '/v1/workspaces/:id/files/content'

/** Short-lived direct upload/download credentials for one workspace file. */
export function fileTokenRoutes(
  app: FastifyInstance,
  opts: { workspaces: WorkspaceService; tokens: TokenSigner; config: Config },
): void {
  const { workspaces, tokens, config } = opts
  const { header, queryParam, ttlSeconds } = config.uploadTokens
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()

  typed.post(
    '/v1/workspaces/:id/files/tokens',
    {
      schema: {
        tags: ['files'],
        summary: `Mint a token (good for WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS) that uploads or downloads one file through files/content without the API key`,
        params: IdParams,
        body: CreateFileTokenBody,
        response: { 201: FileToken, ...errorResponses(...BODY_ERRORS, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const { operation } = request.body
      const { rel } = parsePath(request.body.path)
      await workspaces.get(id)
      const exp = Math.ceil(Date.now() / 1000) + ttlSeconds
      const token = tokens.sign({ sub: id, op: operation, path: rel, exp })
      const query = new URLSearchParams({ path: rel, [queryParam]: token })
      return reply.status(201).send({
        token,
        url: `${publicBase(request, config)}/v1/workspaces/${id}/files/content?${query.toString()}`,
        expires_at: new Date(exp * 1000).toISOString(),
        operation,
        path: rel,
        header,
        query_param: queryParam,
      })
    },
  )
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/**
 * Accepts a GET (download) or PUT (upload) of files/content on the strength
 * of a file token in WORKSPACE_UPLOAD_TOKEN_HEADER (`Bearer <token>` or the
 * bare token) or the WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM query parameter. See
 * `TokenAuthenticator`: false when no token is presented or the route takes
 * none, true when it is good, a 401 (6001) or 410 (6002) when it is not.
 */
export function fileTokenAuthenticator(
  config: Config,
  tokens: TokenSigner,
): (request: FastifyRequest) => boolean {
  const { header, queryParam } = config.uploadTokens
  return (request) => {
    if (request.routeOptions.url !== CONTENT_ROUTE) return false
    const op =
      request.method === 'PUT'
        ? 'upload'
        : request.method === 'GET' || request.method === 'HEAD'
          ? 'download'
          : undefined
    if (!op) return false
    const query = request.query as Record<string, unknown>
    const fromHeader = single(request.headers[header])
      ?.replace(/^Bearer\s+/i, '')
      .trim()
    const fromQuery = single(query[queryParam])
    // The header (Authorization by default) may carry something else; a token looks like one.
    const token = fromHeader?.startsWith('wm1.') ? fromHeader : fromQuery || fromHeader
    if (!token) return false
    const id = single((request.params as { id?: unknown }).id)
    const requested = single(query.path)
    let rel: string
    try {
      if (id === undefined || requested === undefined) throw new Error('no id or path')
      rel = parsePath(requested).rel
    } catch {
      throw new ApiError('TOKEN_INVALID', 'token is not valid for this resource or operation')
    }
    tokens.verify(token, { sub: id, op, path: rel })
    return true
  }
}
