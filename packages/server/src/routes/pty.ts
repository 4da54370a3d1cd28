import type { WebSocket } from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ApiError } from '../errors.js'
import type { PtyConnection, PtyService } from '../services/ptys.js'
import type { TokenSigner } from '../services/tokens.js'
import type { SandboxService } from '../services/sandboxes.js'
import { bridgePty } from './pty-bridge.js'
import { COMMON_ERRORS, IdParams, IdString, errorResponses } from './common.js'

/** Seconds a PTY token stays good: only long enough to open the socket. */
export const PTY_TOKEN_TTL_SECONDS = 60

const Dimension = Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$' })
const EnvPair = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*=', maxLength: 32768 })

const connections = new WeakMap<FastifyRequest, PtyConnection>()

function envFromQuery(value: string | string[] | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined
  const pairs = Array.isArray(value) ? value : [value]
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  )
}

/**
 * Terminals over WebSocket: `GET /v1/sandboxes/{id}/pty` opens a new shell,
 * `GET /v1/sandboxes/{id}/pty/{pty_id}` reattaches. The agent connection is
 * made in preHandler, before the upgrade, so a missing sandbox or PTY is a
 * plain HTTP error (404 code 2001 / 4001) rather than a socket that closes.
 */
export async function ptyRoutes(
  app: FastifyInstance,
  opts: { ptys: PtyService; sandboxes: SandboxService; tokens: TokenSigner },
): Promise<void> {
  const { ptys, sandboxes, tokens } = opts
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()

  typed.post(
    '/v1/sandboxes/:id/pty/tokens',
    {
      schema: {
        tags: ['pty'],
        summary: `Mint a token (good for ${PTY_TOKEN_TTL_SECONDS} s) that opens this sandbox's PTY WebSocket as ?token=, for browsers that cannot set headers`,
        params: IdParams,
        response: {
          201: Type.Object({ token: Type.String(), expires_at: Type.String() }),
          ...errorResponses(...COMMON_ERRORS, 404),
        },
      },
    },
    async (request, reply) => {
      await sandboxes.require(request.params.id)
      const exp = Math.floor(Date.now() / 1000) + PTY_TOKEN_TTL_SECONDS
      const token = tokens.sign({ sub: request.params.id, op: 'pty', exp })
      return reply.status(201).send({ token, expires_at: new Date(exp * 1000).toISOString() })
    },
  )

  typed.get(
    '/v1/sandboxes/:id/pty',
    {
      websocket: true,
      schema: {
        params: IdParams,
        querystring: Type.Object({
          cols: Type.Optional(Dimension),
          rows: Type.Optional(Dimension),
          shell: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
          env: Type.Optional(Type.Union([EnvPair, Type.Array(EnvPair, { maxItems: 256 })])),
          token: Type.Optional(Type.String({ maxLength: 4096 })),
        }),
      },
      preHandler: async (request) => {
        const query = request.query as {
          cols?: string
          rows?: string
          shell?: string
          env?: string | string[]
        }
        const env = envFromQuery(query.env)
        const connection = await ptys.open((request.params as { id: string }).id, {
          cols: Number(query.cols ?? 80),
          rows: Number(query.rows ?? 24),
          ...(query.shell ? { shell: query.shell } : {}),
          ...(env ? { env } : {}),
        })
        connections.set(request, connection)
      },
    },
    (socket, request) => attachSocket(socket, request, app),
  )

  typed.get(
    '/v1/sandboxes/:id/pty/:ptyId',
    {
      websocket: true,
      schema: {
        params: Type.Object({ id: IdString, ptyId: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({
          after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
          token: Type.Optional(Type.String({ maxLength: 4096 })),
        }),
      },
      preHandler: async (request, reply) => {
        const { id, ptyId } = request.params as { id: string; ptyId: string }
        if (ptyId === 'tokens') {
          // The POST-only token route's path, matched here as a PTY id: its method is wrong.
          void reply.header('allow', 'POST')
          throw new ApiError(
            'METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${request.url.split('?')[0]}; allowed: POST`,
            { allowed: ['POST'] },
          )
        }
        const { after } = request.query as { after?: string }
        connections.set(
          request,
          await ptys.attach(id, ptyId, after === undefined ? undefined : Number(after)),
        )
      },
    },
    (socket, request) => attachSocket(socket, request, app),
  )
}

function attachSocket(socket: WebSocket, request: FastifyRequest, app: FastifyInstance): void {
  const connection = connections.get(request)
  if (!connection) {
    socket.close(1011, 'no PTY connection')
    throw new ApiError('INTERNAL', 'PTY connection missing after preHandler')
  }
  connections.delete(request)
  bridgePty(socket, connection, app.log)
}

/** The sandbox id a PTY request is for, when the URL is a PTY WebSocket route. */
export function ptyRouteSandbox(request: FastifyRequest): string | undefined {
  const url = request.routeOptions.url
  if (url !== '/v1/sandboxes/:id/pty' && url !== '/v1/sandboxes/:id/pty/:ptyId') return undefined
  return (request.params as { id?: string }).id
}
