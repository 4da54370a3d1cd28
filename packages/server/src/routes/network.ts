import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { NetworkPolicyBody, NetworkStatus } from '@workspace-manager/protocol'
import type { SandboxService } from '../services/sandboxes.js'
import { BODY_ERRORS, COMMON_ERRORS, IdParams, errorResponses } from './common.js'

/** A sandbox's network policy: read it (with what was refused), change it while it runs. */
export function networkRoutes(app: FastifyInstance, sandboxes: SandboxService): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['sandboxes']

  typed.get(
    '/v1/sandboxes/:id/network',
    {
      schema: {
        tags,
        summary: "The sandbox's network policy, and the destinations the egress gateway refused",
        params: IdParams,
        response: { 200: NetworkStatus, ...errorResponses(...COMMON_ERRORS, 404) },
      },
    },
    async (request) => sandboxes.network(request.params.id),
  )

  typed.patch(
    '/v1/sandboxes/:id/network',
    {
      schema: {
        tags,
        summary:
          "Change a running sandbox's network policy (allowlist, open or none); the next request out obeys it",
        params: IdParams,
        body: NetworkPolicyBody,
        response: { 200: NetworkStatus, ...errorResponses(...BODY_ERRORS, 404, 409) },
      },
    },
    async (request) => sandboxes.updateNetwork(request.params.id, request.body),
  )
}
