import { toFrame, type AgentEvent } from './agent-events.js'

/**
 * The start of the agent's encoding of an output event,
 * `{"seq":N,"type":"stdout","data":"…`: it writes the fields in this order.
 */
const PLAIN_OUTPUT = /^\{"seq":(\d+),"type":"(stdout|stderr)","data":"/
/** Enough of a line's start to match PLAIN_OUTPUT (a seq of up to 19 digits). */
const PREFIX_BYTES = 64
const NEWLINE = 0x0a
const FRAME_END = Buffer.from('\n\n')

/** Whether a line holds nothing but white space (a JSON line starts with `{` at once). */
function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false
  return true
}

/**
 * Turns the agent's NDJSON event stream into SSE frames as its chunks come.
 *
 * An output event, nearly every line of a busy stream, becomes a frame made
 * of a small head (`id`, `event`, `data: {"data":`) and the rest of its line
 * as the agent wrote it (the JSON string literal of the data and the closing
 * brace, or `,"dropped":N}` before it): slices of the agent's chunks, passed
 * on as they arrive, never joined, decoded or copied (each copy of a busy
 * stream's bytes cost a visible share of the relay's CPU). The rest of the
 * line is valid JSON as it is and holds no raw line break (JSON escapes
 * them), so it is safe on an SSE `data:` line. Any other line (start, exit,
 * empty output) is small: it is gathered, decoded and framed field by field.
 * The chunks must not be changed afterwards (Node does not reuse them).
 */
export class AgentEventFramer {
  /** Whether the exit event has been framed. */
  sawExit = false
  /** Pieces of the current line not yet framed: its start, or all of a decoded line. */
  #parts: Buffer[] = []
  #length = 0
  /** start: a line's first bytes; pass: an output line's rest; whole: a line to decode. */
  #mode: 'start' | 'pass' | 'whole' = 'start'

  /** The SSE bytes of one more chunk from the agent, in order. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    let pos = 0
    while (pos < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, pos)
      const stop = newline === -1 ? chunk.length : newline
      if (this.#mode === 'pass') {
        if (stop > pos) out.push(chunk.subarray(pos, stop))
      } else {
        if (stop > pos) this.#parts.push(chunk.subarray(pos, stop))
        this.#length += stop - pos
        if (this.#mode === 'start' && (this.#length >= PREFIX_BYTES || newline !== -1))
          this.#classify(out)
      }
      if (newline === -1) break
      this.#endLine(out)
      pos = newline + 1
    }
    return out
  }

  /** Starts an output line's frame and passes the rest of it on, or marks it for decoding. */
  #classify(out: Buffer[]): void {
    const head = Buffer.concat(this.#parts, Math.min(this.#length, PREFIX_BYTES))
    const plain = PLAIN_OUTPUT.exec(head.toString('latin1'))
    if (!plain) {
      this.#mode = 'whole'
      return
    }
    out.push(Buffer.from(`id: ${plain[1]}\nevent: ${plain[2]}\ndata: {"data":`))
    // From the literal's opening quote on.
    let skip = plain[0].length - 1
    for (const part of this.#parts) {
      if (skip >= part.length) skip -= part.length
      else {
        out.push(skip > 0 ? part.subarray(skip) : part)
        skip = 0
      }
    }
    this.#parts = []
    this.#length = 0
    this.#mode = 'pass'
  }

  #endLine(out: Buffer[]): void {
    if (this.#mode === 'pass') out.push(FRAME_END)
    else if (this.#length > 0) {
      const line = Buffer.concat(this.#parts, this.#length)
      if (!isBlank(line)) {
        const event = JSON.parse(line.toString('utf8')) as AgentEvent
        if (event.type === 'exit') this.sawExit = true
        out.push(Buffer.from(toFrame(event)))
      }
    }
    this.#parts = []
    this.#length = 0
    this.#mode = 'start'
  }
}
