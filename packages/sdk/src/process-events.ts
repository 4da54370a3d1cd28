/**
 * Process event streams: an SSE response turned into {@link ProcessEvent}s,
 * opened lazily on first iteration and closed when the caller stops.
 */
import { clientError } from './errors.js'
import type { ProcessEvent } from './process-types.js'
import { guardBody } from './response-body.js'
import { readSse, type SseEvent } from './sse.js'
import type { Transport, TransportRequest } from './transport.js'

const EVENT_STREAM = 'text/event-stream'

function parsePayload(sse: SseEvent): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(sse.data)
    if (parsed !== null && typeof parsed === 'object') return parsed as Record<string, unknown>
  } catch {
    // Not JSON: the raw text stands in for the data of output and error events.
  }
  return { data: sse.data, message: sse.data }
}

function sequence(id: string | undefined): number | undefined {
  const seq = id === undefined || id === '' ? NaN : Number(id)
  return Number.isSafeInteger(seq) ? seq : undefined
}

function invalid(sse: SseEvent): never {
  throw clientError('invalid-response', `malformed ${sse.event} event: ${sse.data.slice(0, 200)}`)
}

/** One SSE event as a process event; `undefined` for a type this version does not know. */
export function processEventFromSse(sse: SseEvent): ProcessEvent | undefined {
  const payload = parsePayload(sse)
  const extra: { seq?: number; dropped?: number } = {}
  const seq = sequence(sse.id)
  if (seq !== undefined) extra.seq = seq
  if (typeof payload.dropped === 'number' && payload.dropped > 0) extra.dropped = payload.dropped
  switch (sse.event) {
    case 'start':
      if (typeof payload.pid !== 'number') invalid(sse)
      return { type: 'start', pid: payload.pid, ...extra }
    case 'stdout':
    case 'stderr':
      return { type: sse.event, data: String(payload.data ?? ''), ...extra }
    case 'exit':
      if (typeof payload.code !== 'number') invalid(sse)
      return { type: 'exit', code: payload.code, timedOut: payload.timed_out === true, ...extra }
    case 'error':
      return { type: 'error', message: String(payload.message ?? 'unknown error'), ...extra }
    default:
      return undefined
  }
}

/**
 * Sends `request` asking for an event stream and yields its process events
 * until `exit` or `error`. Leaving the loop early (`break`, `return`, a throw)
 * or aborting the request's signal closes the HTTP stream; the process itself
 * keeps running in the sandbox. A stream that ends before `exit` or `error`
 * throws a network error whose `details.lastSeq` says where to resume.
 */
export async function* processEvents(
  transport: Transport,
  request: TransportRequest,
): AsyncGenerator<ProcessEvent, void, undefined> {
  const response = await transport.open({ ...request, accept: EVENT_STREAM })
  const body = guardBody(response.body, response.exchange, Number.MAX_SAFE_INTEGER)
  let lastSeq: number | undefined
  try {
    const type = String(response.headers['content-type'] ?? '')
    if (!type.startsWith(EVENT_STREAM)) {
      throw clientError(
        'invalid-response',
        `${request.method} ${request.path} answered ${type || 'no content type'}, not an event stream`,
      )
    }
    for await (const sse of readSse(body)) {
      const event = processEventFromSse(sse)
      if (!event) continue
      lastSeq = event.seq ?? lastSeq
      yield event
      if (event.type === 'exit' || event.type === 'error') return
    }
  } catch (error) {
    throw response.exchange.translate(error)
  } finally {
    body.destroy()
  }
  throw clientError('network', 'the event stream ended before the process exited', {
    details: { lastSeq },
  })
}
