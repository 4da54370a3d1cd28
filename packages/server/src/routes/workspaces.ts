import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  CreateWorkspaceBody,
  UpdateWorkspaceBody,
  Workspace,
  WorkspaceList,
} from '@workspace-manager/protocol'
import type { WorkspaceService } from '../services/workspaces.js'
import { OPTIONAL_BODY } from '../http/openapi-30.js'
import { BODY_ERRORS, COMMON_ERRORS, IdParams, errorResponses } from './common.js'

/** Create, list, get, change (the quota) and delete workspaces. */
export function workspaceRoutes(app: FastifyInstance, workspaces: WorkspaceService): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['workspaces']

  typed.post(
    '/v1/workspaces',
    {
      schema: {
        tags,
        summary: 'Create a workspace',
        [OPTIONAL_BODY]: true,
        body: CreateWorkspaceBody,
        response: { 201: Workspace, ...errorResponses(...BODY_ERRORS) },
      },
      // A bodiless POST means "all defaults".
      preValidation: async (request) => {
        // Only a missing body: a JSON `null` is no object and the schema refuses it.
        if (request.body === undefined) request.body = {}
      },
    },
    async (request, reply) => {
      const workspace = await workspaces.create(request.body)
      return reply.status(201).send(workspace)
    },
  )

  typed.get(
    '/v1/workspaces',
    {
      schema: {
        tags,
        summary: 'List workspaces, oldest first',
        response: { 200: WorkspaceList, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    async () => ({ workspaces: await workspaces.list() }),
  )

  typed.get(
    '/v1/workspaces/:id',
    {
      schema: {
        tags,
        summary: 'Get a workspace',
        params: IdParams,
        response: { 200: Workspace, ...errorResponses(...COMMON_ERRORS, 404) },
      },
    },
    async (request) => workspaces.get(request.params.id),
  )

  typed.patch(
    '/v1/workspaces/:id',
    {
      schema: {
        tags,
        summary: "Change a workspace's disk quota (quota_bytes; null lifts it)",
        params: IdParams,
        body: UpdateWorkspaceBody,
        response: { 200: Workspace, ...errorResponses(...BODY_ERRORS, 404) },
      },
    },
    async (request) => workspaces.update(request.params.id, request.body),
  )

  typed.delete(
    '/v1/workspaces/:id',
    {
      schema: {
        tags,
        summary: 'Delete a workspace and its files (409 code 7002 while sandboxes use it)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(...COMMON_ERRORS, 404, 409) },
      },
    },
    async (request, reply) => {
      await workspaces.delete(request.params.id)
      return reply.status(204).send(null)
    },
  )
}
