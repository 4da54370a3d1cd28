import type { IncomingMessage, ServerResponse } from 'node:http'

/** One event of a process, as the agent streams it (NDJSON). */
export interface AgentEvent {
  seq: number
  type: 'start' | 'stdout' | 'stderr' | 'exit'
  data?: string
  pid?: number
  code?: number
  timed_out?: boolean
  dropped?: number
}

const KEEPALIVE_MS = 15_000

/** Writes the SSE response head; no compression, no proxy buffering. */
export function startSse(raw: ServerResponse, requestId: string): void {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  })
}

/** Formats one SSE frame. */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

function toFrame(event: AgentEvent): string {
  const dropped = event.dropped ? { dropped: event.dropped } : {}
  switch (event.type) {
    case 'start':
      return sseFrame('start', { pid: event.pid, ...dropped }, event.seq)
    case 'exit':
      return sseFrame(
        'exit',
        { code: event.code, timed_out: event.timed_out ?? false, ...dropped },
        event.seq,
      )
    default:
      return sseFrame(event.type, { data: event.data ?? '', ...dropped }, event.seq)
  }
}

/**
 * Relays an agent's NDJSON event stream to an SSE response, honouring
 * back-pressure both ways. When the client goes away only the relay stops:
 * the process keeps running and its output stays re-readable.
 */
export function relayEvents(events: IncomingMessage, raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    let buffered = ''
    let sawExit = false
    const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS)
    const finish = () => {
      clearInterval(keepalive)
      events.destroy()
      resolve()
    }
    raw.on('close', finish)
    raw.on('drain', () => events.resume())
    events.setEncoding('utf8')
    events.on('data', (chunk: string) => {
      buffered += chunk
      let newline: number
      let writable = true
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        if (!line) continue
        const event = JSON.parse(line) as AgentEvent
        if (event.type === 'exit') sawExit = true
        writable = raw.write(toFrame(event)) && writable
      }
      if (!writable) events.pause()
    })
    events.on('end', () => {
      if (!sawExit)
        raw.write(
          sseFrame('error', { message: 'the agent stopped streaming before the process exited' }),
        )
      raw.end()
      finish()
    })
    events.on('error', (error) => {
      if (!raw.writableEnded) {
        raw.write(sseFrame('error', { message: `lost the agent: ${error.message}` }))
        raw.end()
      }
      finish()
    })
  })
}
