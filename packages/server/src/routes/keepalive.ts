import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ActivityTracker } from '../services/activity.js'
import type { SandboxService } from '../services/sandboxes.js'
import { COMMON_ERRORS, IdParams, errorResponses } from './common.js'

/** `POST /v1/sandboxes/{id}/keepalive`: counts as activity, so the idle janitor leaves it be. */
export function keepaliveRoutes(
  app: FastifyInstance,
  opts: { sandboxes: SandboxService; activity: ActivityTracker },
): void {
  const { sandboxes, activity } = opts
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/sandboxes/:id/keepalive',
    {
      schema: {
        tags: ['sandboxes'],
        summary:
          'Refresh the activity of a sandbox so the idle janitor (WORKSPACE_IDLE_TTL_SECONDS) does not remove it',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(...COMMON_ERRORS, 404) },
      },
    },
    async (request, reply) => {
      await sandboxes.require(request.params.id)
      activity.touch(request.params.id)
      return reply.status(204).send(null)
    },
  )
}
