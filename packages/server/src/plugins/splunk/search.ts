import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { SplunkSearchBody, SplunkSearchResult } from '@workspace-manager/protocol'
import type { CommandResult } from '@workspace-manager/protocol'
import { ApiError } from '../../errors.js'
import { COMMON_ERRORS, IdString, errorResponses } from '../../routes/common.js'
import type { PluginContext } from '../types.js'
import { EXIT_HTTP_ERROR, EXIT_TIMED_OUT, EXIT_UNREACHABLE, SEARCH_SCRIPT } from './scripts.js'

/** The application kind the route serves. */
export const SPLUNK_KIND = 'splunk'

const DEFAULT_TIMEOUT_SECONDS = 60

/** Splunk's own words from an error body (`{"messages": [{"type", "text"}]}`), else the body. */
function splunkMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { messages?: Array<{ text?: unknown }> }
    const texts = (parsed.messages ?? []).map((m) => m.text).filter((t) => typeof t === 'string')
    if (texts.length) return texts.join('; ')
  } catch {
    // Not JSON: the text itself.
  }
  return body.trim().slice(0, 500)
}

/** Turns how the in-sandbox search ended (given `seconds` to run) into its results or an API error. */
export function searchOutcome(
  result: CommandResult,
  seconds: number,
): Array<Record<string, unknown>> {
  if (result.truncated) {
    throw new ApiError(
      'PAYLOAD_TOO_LARGE',
      'the search results are larger than a command may print; narrow the search (e.g. | head 1000)',
    )
  }
  let reply: { results?: Array<Record<string, unknown>>; status?: number | null; body?: string }
  try {
    reply = JSON.parse(result.stdout) as typeof reply
  } catch {
    const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')
    throw new ApiError(
      'INTERNAL',
      `the search could not run in the sandbox (exit code ${result.exit_code}): ${said}`,
    )
  }
  if (result.exit_code === 0 && Array.isArray(reply.results)) return reply.results
  const detail = splunkMessage(reply.body ?? '')
  if (result.exit_code === EXIT_HTTP_ERROR && reply.status === 401) {
    throw new ApiError(
      'FORBIDDEN',
      'Splunk refused the credentials: check SPLUNK_USERNAME and SPLUNK_PASSWORD of the server (or the sandbox env)',
      { splunk_status: 401 },
    )
  }
  if (result.exit_code === EXIT_HTTP_ERROR && reply.status === 400) {
    throw new ApiError('VALIDATION', `Splunk refused the search: ${detail}`, { splunk_status: 400 })
  }
  if (result.exit_code === EXIT_HTTP_ERROR) {
    throw new ApiError('INTERNAL', `Splunk answered ${reply.status}: ${detail}`, {
      splunk_status: reply.status,
    })
  }
  if (result.exit_code === EXIT_TIMED_OUT) {
    throw new ApiError('PROCESS_TIMED_OUT', `Splunk did not answer within ${seconds} s: ${detail}`)
  }
  if (result.exit_code === EXIT_UNREACHABLE) {
    // Its port inside the sandbox takes no connection: the port proxy's answer for the same case.
    throw new ApiError('PORT_UNREACHABLE', `Splunk is not answering inside the sandbox: ${detail}`)
  }
  throw new ApiError('INTERNAL', `the search failed in the sandbox (exit code ${result.exit_code})`)
}

/** `POST /v1/sandboxes/{id}/splunk/search` (registered under the `/v1` prefix). */
export function splunkRoutes(app: FastifyInstance, context: PluginContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/sandboxes/:id/splunk/search',
    {
      schema: {
        tags: ['splunk'],
        summary:
          'Run a Splunk search inside a sandbox of kind splunk (against 127.0.0.1:8089 there) and return its results',
        params: Type.Object({ id: IdString }),
        body: SplunkSearchBody,
        response: {
          200: SplunkSearchResult,
          ...errorResponses(...COMMON_ERRORS, 403, 404, 408, 409, 413, 502, 503),
        },
      },
    },
    async (request) => {
      const { id } = request.params
      const sandbox = await context.getSandbox(id)
      // Only a splunk sandbox has this resource; another kind's is as absent as an unknown route.
      if (sandbox.application_kind !== SPLUNK_KIND) {
        throw new ApiError(
          'NOT_FOUND',
          `sandbox ${id} is of application kind ${sandbox.application_kind ?? 'none'}, not ${SPLUNK_KIND}`,
          { id, application_kind: sandbox.application_kind },
        )
      }
      const seconds = request.body.timeout ?? DEFAULT_TIMEOUT_SECONDS
      const result = await context.run(id, {
        cmd: 'python3',
        args: ['-c', SEARCH_SCRIPT, request.body.query, String(seconds)],
        timeout: seconds + 5,
      })
      return { results: searchOutcome(result, seconds) }
    },
  )
}
