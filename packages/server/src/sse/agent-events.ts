import type { IncomingMessage, ServerResponse } from 'node:http'
import { AgentEventFramer } from './event-framer.js'

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

/** The SSE frame of an agent event decoded from its line. */
export function toFrame(event: AgentEvent): string {
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
 * the process keeps running and its output stays re-readable. The frames of
 * one chunk from the agent go out in one (vectored) write.
 */
export function relayEvents(events: IncomingMessage, raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const framer = new AgentEventFramer()
    const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS)
    const finish = () => {
      clearInterval(keepalive)
      events.destroy()
      resolve()
    }
    raw.on('close', finish)
    raw.on('drain', () => events.resume())
    events.on('data', (chunk: Buffer) => {
      const pieces = framer.push(chunk)
      if (pieces.length === 0) return
      // One writev for the chunk's pieces, most of them slices of the chunk itself.
      raw.cork()
      let room = true
      for (const piece of pieces) room = raw.write(piece)
      raw.uncork()
      if (!room) events.pause()
    })
    events.on('end', () => {
      if (!framer.sawExit)
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
