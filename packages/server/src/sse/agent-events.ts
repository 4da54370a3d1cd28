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
 * The agent's encoding of an output event with nothing else in it, as it
 * writes its fields in order: `{"seq":N,"type":"stdout","data":"…"}`.
 */
const PLAIN_OUTPUT = /^\{"seq":(\d+),"type":"(stdout|stderr)","data":"/
/** Enough of a line's start to match PLAIN_OUTPUT (a seq of up to 19 digits). */
const PREFIX_BYTES = 64
const NEWLINE = 0x0a
const FRAME_END = Buffer.from('}\n\n')

/**
 * The SSE frame of one NDJSON line. Output events, nearly every line of a
 * busy stream, are framed around the agent's own JSON string literal of the
 * data, bytes as they came: decoding it (UTF-8, then JSON) and encoding it
 * again was most of the relay's CPU time. The literal is valid JSON as it is
 * and holds no raw line break (JSON escapes them), so it is safe on an SSE
 * `data:` line. It ends at the line's closing `"}`: an unescaped quote cannot
 * occur inside it. Any other line (start, exit, dropped output) is decoded
 * and framed field by field.
 */
export function lineToFrame(line: Buffer): { frame: Buffer[]; exit: boolean } {
  const plain = PLAIN_OUTPUT.exec(line.toString('latin1', 0, PREFIX_BYTES))
  const end = line.length
  if (plain && end > plain[0].length && line[end - 2] === 0x22 && line[end - 1] === 0x7d) {
    const head = Buffer.from(`id: ${plain[1]}\nevent: ${plain[2]}\ndata: {"data":`)
    return { frame: [head, line.subarray(plain[0].length - 1, end - 1), FRAME_END], exit: false }
  }
  const event = JSON.parse(line.toString('utf8')) as AgentEvent
  return { frame: [Buffer.from(toFrame(event))], exit: event.type === 'exit' }
}

/** Whether a line holds nothing but white space (a JSON line starts with `{` at once). */
function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false
  return true
}

/**
 * Relays an agent's NDJSON event stream to an SSE response, honouring
 * back-pressure both ways. When the client goes away only the relay stops:
 * the process keeps running and its output stays re-readable. The frames of
 * one chunk from the agent go out in one write.
 */
export function relayEvents(events: IncomingMessage, raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    let rest: Buffer = Buffer.alloc(0)
    let sawExit = false
    const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS)
    const finish = () => {
      clearInterval(keepalive)
      events.destroy()
      resolve()
    }
    raw.on('close', finish)
    raw.on('drain', () => events.resume())
    events.on('data', (chunk: Buffer) => {
      const data = rest.length ? Buffer.concat([rest, chunk]) : chunk
      const frames: Buffer[] = []
      let start = 0
      let newline: number
      while ((newline = data.indexOf(NEWLINE, start)) !== -1) {
        const line = data.subarray(start, newline)
        start = newline + 1
        if (isBlank(line)) continue
        const { frame, exit } = lineToFrame(line)
        if (exit) sawExit = true
        frames.push(...frame)
      }
      // A copy: the chunk's memory may be reused once this handler returns.
      rest = Buffer.from(data.subarray(start))
      if (frames.length && !raw.write(Buffer.concat(frames))) events.pause()
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
