import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ApplicationKindList } from '@workspace-manager/protocol'
import type { ApplicationKinds } from '../plugins/index.js'
import { COMMON_ERRORS, errorResponses } from './common.js'

/** `GET /v1/application-kinds`: the kinds the loaded plugins provide. */
export function applicationKindRoutes(app: FastifyInstance, kinds: ApplicationKinds): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/application-kinds',
    {
      schema: {
        tags: ['application kinds'],
        summary: 'List the application kinds the loaded plugins provide, by name',
        response: { 200: ApplicationKindList, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    async () => ({ application_kinds: kinds.list() }),
  )
}
