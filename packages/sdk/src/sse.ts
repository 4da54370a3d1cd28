/**
 * A small incremental parser of `text/event-stream` (server-sent events).
 *
 * It follows the WHATWG rules that matter for a client: lines end in LF, CRLF
 * or a lone CR (a CRLF split across chunks counts once); `data:` lines join
 * with `\n`; lines starting with `:` are comments (keep-alives); `id:` sets
 * the last event id that every later event carries (an id containing NUL is
 * ignored); one space after the colon is dropped; a field with no colon has
 * an empty value; an event is dispatched at a blank line and only when it
 * has data, so a half-received event at the end of a stream is discarded.
 * A leading byte-order mark is skipped and UTF-8 split across chunks survives.
 */
import { StringDecoder } from 'node:string_decoder'

/** One dispatched event. */
export interface SseEvent {
  /** Event type: the `event:` field, or `message` when there was none. */
  event: string
  /** The `data:` lines, joined with `\n`. */
  data: string
  /** The last event id seen so far in the stream (`undefined` before any). */
  id: string | undefined
}

/** Feed it chunks as they arrive; each call returns the events those chunks complete. */
export class SseParser {
  readonly #decoder = new StringDecoder('utf8')
  #pending = ''
  #started = false
  #event = ''
  #data: string[] = []
  #lastId: string | undefined

  /** Parses one chunk (bytes or text) and returns the events it completes, in order. */
  feed(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(Buffer.from(chunk))
    return this.#parse(text, false)
  }

  /** End of the stream: finishes the last line; an event without its blank line is dropped. */
  end(): SseEvent[] {
    return this.#parse(this.#decoder.end(), true)
  }

  #parse(text: string, final: boolean): SseEvent[] {
    let buffer = this.#pending + text
    if (!this.#started && buffer !== '') {
      this.#started = true
      if (buffer.startsWith('\ufeff')) buffer = buffer.slice(1)
    }
    const events: SseEvent[] = []
    const ends = new LineEnds(buffer)
    let start = 0
    for (;;) {
      const end = ends.next(start)
      if (end === -1) break
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (buffer[end] === '\r' && end + 1 === buffer.length && !final) break
      const line = buffer.slice(start, end)
      start = buffer.startsWith('\r\n', end) ? end + 2 : end + 1
      const event = this.#line(line)
      if (event) events.push(event)
    }
    this.#pending = final ? '' : buffer.slice(start)
    return events
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch()
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') this.#data.push(value)
    else if (field === 'event') this.#event = value
    else if (field === 'id' && !value.includes('\0')) this.#lastId = value
    return undefined
  }

  #dispatch(): SseEvent | undefined {
    const event = this.#event || 'message'
    const data = this.#data
    this.#event = ''
    this.#data = []
    if (data.length === 0) return undefined
    return { event, data: data.join('\n'), id: this.#lastId }
  }
}

/** Finds line ends (CR or LF) left to right, remembering each search so a chunk is scanned once. */
class LineEnds {
  readonly #text: string
  #cr = -2
  #lf = -2

  constructor(text: string) {
    this.#text = text
  }

  /** Index of the first CR or LF at or after `from`, or -1. */
  next(from: number): number {
    if (this.#cr !== -1 && this.#cr < from) this.#cr = this.#text.indexOf('\r', from)
    if (this.#lf !== -1 && this.#lf < from) this.#lf = this.#text.indexOf('\n', from)
    if (this.#cr === -1) return this.#lf
    if (this.#lf === -1) return this.#cr
    return Math.min(this.#cr, this.#lf)
  }
}

/** Parses a byte stream into events as they complete. */
export async function* readSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const parser = new SseParser()
  for await (const chunk of body) yield* parser.feed(chunk)
  yield* parser.end()
}
