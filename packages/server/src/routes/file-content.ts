import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { FileInfo } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { WorkspaceService } from '../services/workspaces.js'
import { BoolFlag, COMMON_ERRORS, IdParams, PathQuery, errorResponses, flag } from './common.js'

const FILE_ERRORS = [...COMMON_ERRORS, 403, 404, 409, 413] as const

/**
 * Raw file content, streamed both ways. Registered in a scope of its own,
 * whose only body parser hands the request stream through untouched, so an
 * upload of any type and size never sits in memory.
 */
export async function fileContentRoutes(
  app: FastifyInstance,
  opts: { workspaces: WorkspaceService; maxTransferBytes: number },
): Promise<void> {
  const { workspaces, maxTransferBytes } = opts
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['files']

  typed.get(
    '/v1/workspaces/:id/files/content',
    {
      schema: {
        tags,
        summary: 'Download a file (raw bytes, streamed)',
        params: IdParams,
        querystring: PathQuery,
        response: {
          200: {
            description: 'File bytes',
            content: {
              'application/octet-stream': {
                schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }),
              },
            },
          },
          ...errorResponses(...FILE_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { stream, size } = await workspaces.openFile(request.params.id, request.query.path)
      return reply
        .type('application/octet-stream')
        .header('content-length', size)
        .header('cache-control', 'no-store')
        .send(stream)
    },
  )

  typed.put(
    '/v1/workspaces/:id/files/content',
    {
      schema: {
        tags,
        summary: `Upload a file (raw body of any type, streamed, at most WM_MAX_FILE_TRANSFER_BYTES); written to a temporary file and renamed into place`,
        params: IdParams,
        querystring: Type.Object({
          path: PathQuery.properties.path,
          parents: BoolFlag('Create missing parent directories (default true)'),
        }),
        response: { 201: FileInfo, ...errorResponses(...FILE_ERRORS, 507) },
      },
    },
    async (request, reply) => {
      const declared = Number(request.headers['content-length'] ?? NaN)
      if (declared > maxTransferBytes) {
        // Refuse before reading a byte; close so the client stops sending.
        void reply.header('connection', 'close')
        throw new ApiError(
          'PAYLOAD_TOO_LARGE',
          `upload of ${declared} bytes exceeds the limit of ${maxTransferBytes}`,
          {
            limit: maxTransferBytes,
          },
        )
      }
      const body = request.body instanceof Readable ? request.body : Readable.from([])
      const { path, parents } = request.query
      try {
        const info = await workspaces.writeFile(request.params.id, path, body, flag(parents, true))
        return await reply.status(201).send(info)
      } catch (error) {
        if (!body.readableEnded) void reply.header('connection', 'close')
        throw error
      }
    },
  )
}
