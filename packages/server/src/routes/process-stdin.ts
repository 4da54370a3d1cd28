import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ProcessService } from '../services/processes.js'
import { BoolFlag, COMMON_ERRORS, PidParams, errorResponses, flag } from './common.js'

/** `POST .../stdin`: a raw body of any type, streamed to the process; in a scope of its own for the parser. */
export async function processStdinRoutes(
  app: FastifyInstance,
  opts: { processes: ProcessService },
): Promise<void> {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/sandboxes/:id/processes/:pid/stdin',
    {
      schema: {
        tags: ['processes'],
        summary: 'Write the raw body to the stdin of a process; eof=true closes stdin afterwards',
        params: PidParams,
        querystring: Type.Object({ eof: BoolFlag('Close stdin after writing (default false)') }),
        response: { 204: Type.Null(), ...errorResponses(...COMMON_ERRORS, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body instanceof Readable ? request.body : Readable.from([])
      const { id, pid } = request.params
      await opts.processes.writeStdin(id, Number(pid), body, flag(request.query.eof, false))
      return reply.status(204).send(null)
    },
  )
}
