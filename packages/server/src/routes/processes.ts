import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { CommandResult, ProcessList, RunProcessBody, SignalBody } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { ProcessService } from '../services/processes.js'
import { relayEvents, sseFrame, startSse } from '../sse/agent-events.js'
import { relayRawOutput, startRawOutput } from '../sse/raw-output.js'
import { COMMON_ERRORS, IdString, PidParams, errorResponses } from './common.js'

const PROCESS_ERRORS = [...COMMON_ERRORS, 404, 408, 409, 503] as const

/**
 * Body limit of a run: room for the 16 MiB of `stdin` the schema allows (the
 * agent takes JSON bodies up to 32 MiB); beyond it, 413 code 1004.
 */
const RUN_BODY_LIMIT = 32 * 1024 * 1024

/** An SSE stream, as the document describes it. */
const EventStream = {
  description: 'Server-sent events',
  content: { 'text/event-stream': { schema: Type.String() } },
}

/** Output modes of a run, chosen by Accept. */
type RunMode = 'json' | 'sse' | 'raw'

/**
 * The mode asked for: the first of text/event-stream and
 * application/octet-stream that Accept names, else the JSON reply (which
 * any other Accept gets, as before these modes existed).
 */
function runMode(accept: string | undefined): RunMode {
  for (const type of accept?.split(',') ?? []) {
    const name = type.split(';')[0]?.trim().toLowerCase()
    if (name === 'text/event-stream') return 'sse'
    if (name === 'application/octet-stream') return 'raw'
  }
  return 'json'
}

/** Run, list, follow, signal and feed processes. */
export function processRoutes(app: FastifyInstance, processes: ProcessService): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['processes']

  typed.post(
    '/v1/sandboxes/:id/processes',
    {
      schema: {
        tags,
        summary:
          'Run a command: JSON reply when it ends; SSE events start/stdout/stderr/exit/error with Accept: text/event-stream; or its raw stdout bytes with Accept: application/octet-stream (pid in x-pid, exit code in trailer x-exit-code, stderr in the process output events)',
        params: Type.Object({ id: IdString }),
        body: RunProcessBody,
        response: {
          200: {
            description:
              'The result (JSON); its events (SSE) with Accept: text/event-stream; its stdout bytes with Accept: application/octet-stream, the process ending the body with trailers x-exit-code and x-timed-out (a body cut off without them means the stream broke)',
            headers: {
              'x-pid': Type.Integer({ description: 'The process id (raw output only)' }),
            },
            content: {
              'application/json': { schema: CommandResult },
              'text/event-stream': { schema: Type.String() },
              'application/octet-stream': { schema: Type.String({ format: 'binary' }) },
            },
          },
          ...errorResponses(...PROCESS_ERRORS, 413),
        },
      },
      bodyLimit: RUN_BODY_LIMIT,
    },
    async (request, reply) => {
      const { id } = request.params
      const mode = runMode(request.headers.accept)
      if (mode === 'json') return processes.run(id, request.body)
      if (mode === 'raw') {
        // A command that cannot start is an ordinary error reply: nothing has been sent yet.
        const { pid, stdout } = await processes.startRaw(id, request.body)
        reply.hijack()
        startRawOutput(reply.raw, request.id, pid)
        await relayRawOutput(stdout, reply.raw)
        return reply
      }
      let started
      try {
        started = await processes.start(id, request.body)
      } catch (error) {
        // A command that cannot start is reported in the stream, as an error event.
        if (!(error instanceof ApiError) || error.key !== 'VALIDATION') throw error
        reply.hijack()
        startSse(reply.raw, request.id)
        reply.raw.end(sseFrame('error', { message: error.message }))
        return reply
      }
      reply.hijack()
      startSse(reply.raw, request.id)
      await relayEvents(started.events, reply.raw)
      return reply
    },
  )

  typed.get(
    '/v1/sandboxes/:id/processes',
    {
      schema: {
        tags,
        summary: 'List running and recently ended processes (the last 100)',
        params: Type.Object({ id: IdString }),
        response: { 200: ProcessList, ...errorResponses(...PROCESS_ERRORS) },
      },
    },
    async (request) => ({ processes: await processes.list(request.params.id) }),
  )

  typed.get(
    '/v1/sandboxes/:id/processes/:pid/output',
    {
      schema: {
        tags,
        summary:
          'SSE: replay the kept output of a process (a 1 MiB ring per process) after sequence `after` (or Last-Event-ID), then follow it until it exits',
        params: PidParams,
        querystring: Type.Object({ after: Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })) }),
        response: { 200: EventStream, ...errorResponses(...PROCESS_ERRORS) },
      },
    },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id']
      const after =
        Number(request.query.after ?? (typeof lastEventId === 'string' ? lastEventId : 0)) || 0
      const events = await processes.events(request.params.id, Number(request.params.pid), after)
      reply.hijack()
      startSse(reply.raw, request.id)
      await relayEvents(events, reply.raw)
      return reply
    },
  )

  typed.post(
    '/v1/sandboxes/:id/processes/:pid/signal',
    {
      schema: {
        tags,
        summary: 'Send a signal to the process group',
        params: PidParams,
        body: SignalBody,
        response: { 204: Type.Null(), ...errorResponses(...PROCESS_ERRORS, 413) },
      },
    },
    async (request, reply) => {
      await processes.signal(request.params.id, Number(request.params.pid), request.body.signal)
      return reply.status(204).send(null)
    },
  )
}
