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
 * The agent's encoding of an output event with nothing else in it, as Go's
 * encoder writes its fields in order: `{"seq":N,"type":"stdout","data":"…"}`.
 */
const PLAIN_OUTPUT = /^\{"seq":(\d+),"type":"(stdout|stderr)","data":"/

/**
 * The SSE frame of one NDJSON line. Output events, nearly every line of a
 * busy stream, are framed from the agent's own JSON string literal of the
 * data: decoding it and encoding it again was most of the relay's CPU time.
 * The literal is valid JSON as it is and holds no raw line break (JSON
 * escapes them), so it is safe on an SSE `data:` line. It ends at the line's
 * closing `"}`: an unescaped quote cannot occur inside it. Any other line
 * (start, exit, dropped output) is decoded and framed field by field.
 */
export function lineToFrame(line: string): { frame: string; exit: boolean } {
  const plain = PLAIN_OUTPUT.exec(line)
  if (plain && line.endsWith('"}')) {
    const literal = line.slice(plain[0].length - 1, -1)
    return {
      frame: `id: ${plain[1]}\nevent: ${plain[2]}\ndata: {"data":${literal}}\n\n`,
      exit: false,
    }
  }
  const event = JSON.parse(line) as AgentEvent
  return { frame: toFrame(event), exit: event.type === 'exit' }
}

/**
 * Relays an agent's NDJSON event stream to an SSE response, honouring
 * back-pressure both ways. When the client goes away only the relay stops:
 * the process keeps running and its output stays re-readable. The frames of
 * one chunk from the agent go out in one write.
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
      let frames = ''
      let start = 0
      let newline: number
      while ((newline = buffered.indexOf('\n', start)) !== -1) {
        const line = buffered.slice(start, newline).trim()
        start = newline + 1
        if (!line) continue
        const { frame, exit } = lineToFrame(line)
        if (exit) sawExit = true
        frames += frame
      }
      buffered = buffered.slice(start)
      if (frames && !raw.write(frames)) events.pause()
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
