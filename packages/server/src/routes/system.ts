/// <reference types="@fastify/swagger" />
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { Registry } from 'prom-client'
import { HealthResponse } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { errorResponses } from './common.js'

/** What `/health` says of this replica. */
export interface ReplicaView {
  id: string
  leader: boolean
  leaderId: string | null
}

/** A named check `/ready` runs; throws when its dependency does not answer. */
export interface ReadinessCheck {
  name: string
  check: () => Promise<void>
}

const ReadyResponse = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.String()),
})

/** `/health`, `/ready` and `/metrics`. */
export function systemRoutes(
  app: FastifyInstance,
  opts: {
    version: string
    checks: readonly ReadinessCheck[]
    metrics: Registry
    /** This replica's view of the leader lease. */
    replica: () => ReplicaView
  },
): void {
  app.get(
    '/health',
    {
      schema: { tags: ['system'], summary: 'Liveness', response: { 200: HealthResponse } },
      logLevel: 'warn',
    },
    async () => {
      const { id, leader, leaderId } = opts.replica()
      return {
        status: 'ok' as const,
        version: opts.version,
        replica: { id, leader, leader_id: leaderId },
      }
    },
  )

  app.get(
    '/ready',
    {
      schema: {
        tags: ['system'],
        summary: 'Readiness: 200 when every dependency answers, 503 with code 1006 otherwise',
        response: { 200: ReadyResponse, ...errorResponses(503) },
      },
      logLevel: 'warn',
    },
    async () => {
      const results: Record<string, string> = {}
      let ready = true
      for (const { name, check } of opts.checks) {
        try {
          await check()
          results[name] = 'ok'
        } catch (error) {
          ready = false
          results[name] = (error as Error).message
        }
      }
      if (!ready)
        throw new ApiError('RUNTIME_UNAVAILABLE', 'a dependency is not answering', results)
      return { status: 'ready' as const, checks: results }
    },
  )

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics (text format)',
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      void reply.type(opts.metrics.contentType)
      return opts.metrics.metrics()
    },
  )
}
