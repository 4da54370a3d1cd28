import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { PortHint } from '@workspace-manager/protocol'
import type { Config } from '../config/index.js'
import { publicBase, requestHost } from '../http/origin.js'
import type { SandboxService } from '../services/sandboxes.js'
import { COMMON_ERRORS, IdString, errorResponses } from './common.js'

/** A TCP port, 1-65535, as a path parameter (path parameters are never type-coerced). */
export const PortString = Type.String({
  pattern:
    '^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$',
  description: 'TCP port inside the sandbox, 1-65535',
})

/** The host named by DOCKER_HOST when it is a `tcp://` URL. */
export function dockerTcpHost(dockerHost: string | null): string | undefined {
  if (!dockerHost?.startsWith('tcp://')) return undefined
  try {
    return new URL(dockerHost).hostname || undefined
  } catch {
    return undefined
  }
}

function hintHost(request: FastifyRequest, config: Config): string {
  if (config.portProxyHost) return config.portProxyHost
  const fromDocker = dockerTcpHost(config.docker.host)
  if (fromDocker) return fromDocker
  const host = requestHost(request, config)
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
}

/** `GET /v1/sandboxes/{id}/ports/{port}`: where a port inside a sandbox can be reached. */
export function portRoutes(
  app: FastifyInstance,
  opts: { sandboxes: SandboxService; config: Config },
): void {
  const { sandboxes, config } = opts
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()

  typed.get(
    '/v1/sandboxes/:id/ports/:port',
    {
      schema: {
        tags: ['ports'],
        summary:
          'Port-forwarding hint: the host to name and the authenticated proxy URL of a port inside the sandbox',
        params: Type.Object({ id: IdString, port: PortString }),
        response: { 200: PortHint, ...errorResponses(...COMMON_ERRORS, 404) },
      },
    },
    async (request) => {
      const { id } = request.params
      const port = Number(request.params.port)
      await sandboxes.require(id)
      return {
        host: hintHost(request, config),
        port,
        url: `${publicBase(request, config)}/v1/sandboxes/${id}/proxy/${port}/`,
      }
    },
  )
}
