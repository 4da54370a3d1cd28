import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  Checkpoint,
  CheckpointList,
  CreateCheckpointBody,
  Sandbox,
} from '@workspace-manager/protocol'
import type { CheckpointService } from '../services/checkpoints.js'
import { OPTIONAL_BODY } from '../http/openapi-30.js'
import { COMMON_ERRORS, IdParams, IdString, errorResponses } from './common.js'

const CheckpointParams = Type.Object({ id: IdString, cid: IdString })

const ERRORS = [...COMMON_ERRORS, 403, 404, 409, 503] as const

/** Create, list, restore and delete checkpoints of a sandbox (WORKSPACE_ENABLE_CHECKPOINTS). */
export function checkpointRoutes(app: FastifyInstance, checkpoints: CheckpointService): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['checkpoints']

  typed.post(
    '/v1/sandboxes/:id/checkpoints',
    {
      schema: {
        tags,
        summary:
          'Checkpoint a running sandbox. kind "filesystem": its container filesystem and its workspace, not its processes',
        params: IdParams,
        body: CreateCheckpointBody,
        [OPTIONAL_BODY]: true,
        response: { 201: Checkpoint, ...errorResponses(...ERRORS, 413) },
      },
      // The body is optional: none means no name.
      preValidation: async (request) => {
        // Only a missing body: a JSON `null` is no object and the schema refuses it.
        if (request.body === undefined) request.body = {}
      },
    },
    async (request, reply) => {
      const checkpoint = await checkpoints.create(request.params.id, request.body.name ?? null)
      return reply.status(201).send(checkpoint)
    },
  )

  typed.get(
    '/v1/sandboxes/:id/checkpoints',
    {
      schema: {
        tags,
        summary: 'List the checkpoints of a sandbox, oldest first',
        params: IdParams,
        response: { 200: CheckpointList, ...errorResponses(...ERRORS) },
      },
    },
    async (request) => ({ checkpoints: await checkpoints.list(request.params.id) }),
  )

  typed.post(
    '/v1/sandboxes/:id/checkpoints/:cid/restore',
    {
      schema: {
        tags,
        summary:
          'Restart the sandbox from a checkpoint (same id; its processes end) with its workspace put back as it was',
        params: CheckpointParams,
        response: { 200: Sandbox, ...errorResponses(...ERRORS) },
      },
    },
    async (request) => checkpoints.restore(request.params.id, request.params.cid),
  )

  typed.delete(
    '/v1/sandboxes/:id/checkpoints/:cid',
    {
      schema: {
        tags,
        summary: 'Delete a checkpoint: its image and workspace snapshot',
        params: CheckpointParams,
        response: { 204: Type.Null(), ...errorResponses(...ERRORS) },
      },
    },
    async (request, reply) => {
      await checkpoints.delete(request.params.id, request.params.cid)
      return reply.status(204).send(null)
    },
  )
}
