import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  FileInfo,
  FileList,
  MkdirBody,
  TransferBody,
  WorkspacePath,
} from '@workspace-manager/protocol'
import type { WorkspaceService } from '../services/workspaces.js'
import { BoolFlag, COMMON_ERRORS, IdParams, PathQuery, errorResponses, flag } from './common.js'

const FILE_ERRORS = [...COMMON_ERRORS, 403, 404, 409] as const

/** JSON file routes: list, info, mkdir, copy, move, delete. */
export function fileRoutes(app: FastifyInstance, workspaces: WorkspaceService): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['files']

  typed.get(
    '/v1/workspaces/:id/files',
    {
      schema: {
        tags,
        summary: 'List a directory (one level, sorted by name)',
        params: IdParams,
        querystring: Type.Object({
          path: Type.Optional(WorkspacePath({ default: '' })),
        }),
        response: { 200: FileList, ...errorResponses(...FILE_ERRORS) },
      },
    },
    async (request) => ({
      files: await workspaces.listFiles(request.params.id, request.query.path ?? ''),
    }),
  )

  typed.get(
    '/v1/workspaces/:id/files/info',
    {
      schema: {
        tags,
        summary: 'Describe a file, directory or symlink',
        params: IdParams,
        querystring: PathQuery,
        response: { 200: FileInfo, ...errorResponses(...FILE_ERRORS) },
      },
    },
    async (request) => workspaces.fileInfo(request.params.id, request.query.path),
  )

  typed.post(
    '/v1/workspaces/:id/files/mkdir',
    {
      schema: {
        tags,
        summary: 'Create a directory',
        params: IdParams,
        body: MkdirBody,
        response: { 201: FileInfo, ...errorResponses(...FILE_ERRORS, 413, 507) },
      },
    },
    async (request, reply) => {
      const { path, parents = false } = request.body
      return reply.status(201).send(await workspaces.mkdir(request.params.id, path, parents))
    },
  )

  typed.post(
    '/v1/workspaces/:id/files/copy',
    {
      schema: {
        tags,
        summary: 'Copy a file or directory tree (symlinks are copied, never followed)',
        params: IdParams,
        body: TransferBody,
        response: { 201: FileInfo, ...errorResponses(...FILE_ERRORS, 413, 507) },
      },
    },
    async (request, reply) => {
      const { source, destination, overwrite = false } = request.body
      const info = await workspaces.copy(request.params.id, source, destination, overwrite)
      return reply.status(201).send(info)
    },
  )

  typed.post(
    '/v1/workspaces/:id/files/move',
    {
      schema: {
        tags,
        summary: 'Move or rename a file or directory',
        params: IdParams,
        body: TransferBody,
        response: { 200: FileInfo, ...errorResponses(...FILE_ERRORS, 413, 507) },
      },
    },
    async (request) => {
      const { source, destination, overwrite = false } = request.body
      return workspaces.move(request.params.id, source, destination, overwrite)
    },
  )

  typed.delete(
    '/v1/workspaces/:id/files',
    {
      schema: {
        tags,
        summary: 'Delete a file, or a directory (non-empty ones need recursive=true)',
        params: IdParams,
        querystring: Type.Object({
          path: PathQuery.properties.path,
          recursive: BoolFlag('Delete a directory and everything in it (default false)'),
        }),
        response: { 204: Type.Null(), ...errorResponses(...FILE_ERRORS) },
      },
    },
    async (request, reply) => {
      const { path, recursive } = request.query
      await workspaces.removeFile(request.params.id, path, flag(recursive, false))
      return reply.status(204).send(null)
    },
  )
}
