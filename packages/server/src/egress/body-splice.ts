import type http from 'node:http'
import type net from 'node:net'

/**
 * Answers at least this long have their body moved by splicing; shorter
 * ones go through the HTTP parser and keep their upstream connection.
 * Splicing ends the upstream connection with the body (the parser is left
 * mid-message, so the connection cannot be pooled again), which costs a
 * connect on the next request: negligible beside a megabyte, not beside a
 * small answer.
 */
export const SPLICE_MIN_BYTES = 2 ** 20

/**
 * The length of `reply`'s body when it is delimited by Content-Length and
 * long enough to splice; undefined when the parser must frame it
 * (chunked, no body by status or method, a short one).
 */
function spliceableLength(reply: http.IncomingMessage, method: string): number | undefined {
  const status = reply.statusCode ?? 0
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return undefined
  if (reply.headers['transfer-encoding'] !== undefined) return undefined
  const text = reply.headers['content-length']
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined
  const length = Number(text)
  return length >= SPLICE_MIN_BYTES ? length : undefined
}

/**
 * Moves the body of `reply` (whose head `response` has just taken) from the
 * upstream connection to the sandbox's unchanged, past the HTTP parser and
 * the streams between them: the parser copies every body byte into a new
 * buffer before it goes through two streams, which cost about as much CPU
 * as the socket writes themselves. Returns false, having done nothing, when
 * the body is not spliceable (see SPLICE_MIN_BYTES); the caller pipes it.
 *
 * Called from the 'response' event, which the parser emits in the middle of
 * handling a read: the rest of that read is body the parser still hands to
 * `reply`, and is sent first; from the next read on, the upstream socket's
 * bytes are sent as they come (the parser's listener removed). Exactly
 * Content-Length bytes are sent, then the sandbox's response ends (its
 * connection stays open for its next request) and the upstream connection
 * is closed. The sandbox socket not taking a write whole pauses the
 * upstream until it drains. An upstream that ends or fails before the whole
 * body cuts the sandbox's connection, as a short body must be seen.
 */
export function spliceBody(
  reply: http.IncomingMessage,
  response: http.ServerResponse,
  method: string,
): boolean {
  const length = spliceableLength(reply, method)
  const up = reply.socket as net.Socket | null
  const down = response.socket
  if (length === undefined || !up || !down) return false
  response.flushHeaders()
  up.removeAllListeners('data')
  let remaining = length
  const cut = () => {
    if (remaining > 0) response.destroy()
  }
  const send = (chunk: Buffer) => {
    if (remaining === 0 || down.destroyed) return
    const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk
    remaining -= part.length
    if (!down.write(part) && remaining > 0) {
      up.pause()
      down.once('drain', () => up.resume())
    }
    if (remaining > 0) return
    response.end()
    up.destroy()
  }
  // The parser's own complaint about a message it never saw end is no one's concern once sent.
  reply.on('error', cut)
  reply.on('data', send)
  up.on('data', send)
  up.on('end', cut)
  up.on('close', cut)
  return true
}
