import type http from 'node:http'
import { spliceBody } from './body-splice.js'

/** Headers that belong to one hop and are not passed on. */
export const HOP_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'upgrade',
]

/** `headers` without the hop-by-hop ones. */
export function endToEnd<T extends http.IncomingHttpHeaders>(headers: T): T {
  const copy = { ...headers }
  for (const name of HOP_HEADERS) delete copy[name]
  return copy
}

/** Answers a sandbox's request with the gateway's own refusal, closing the connection. */
export function refuse(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
  response.end(`${message}\n`)
}

/** Methods that may be sent twice (RFC 9110 safe methods); with no body, the gateway can. */
const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Whether `request` has a body (RFC 9112 section 6.3: a length or a transfer coding). */
function hasBody(request: http.IncomingMessage): boolean {
  const { headers } = request
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  return length !== undefined && length !== '0'
}

/**
 * Opens the upstream request: on a pooled connection, or on a new one when
 * `fresh` (the retry after a pooled connection turned out closed).
 */
export type OpenUpstream = (fresh: boolean) => http.ClientRequest

/**
 * Sends `request` up a request `open` makes and the upstream's reply back
 * down `response`; `target` names the destination in the 502 when it does
 * not answer.
 *
 * A pooled connection may have been closed by the origin while idle, and
 * that is only learnt when the request written on it is reset before any
 * byte of an answer. A GET, HEAD or OPTIONS without a body is then sent
 * again, once, on a new connection: the origin did not act on it, and it is
 * safe to send twice anyway. Any other request cannot be sent again (its
 * body went up and is not kept), so the sandbox is answered 502, as a
 * client talking to the origin itself would see the reset.
 */
export function relay(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  open: OpenUpstream,
  target: string,
): void {
  const replayable = REPLAYABLE_METHODS.has(request.method ?? '') && !hasBody(request)
  const send = (fresh: boolean) => {
    const upstream = open(fresh)
    let answered = false
    upstream.on('response', (reply) => {
      answered = true
      response.writeHead(reply.statusCode ?? 502, reply.statusMessage, endToEnd(reply.headers))
      if (spliceBody(reply, response, request.method ?? '')) return
      // An upstream cut short mid-body: the sandbox must see its answer cut short too.
      reply.on('error', () => response.destroy())
      reply.on('aborted', () => response.destroy())
      reply.pipe(response)
    })
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      const stale = upstream.reusedSocket && !answered && error.code === 'ECONNRESET'
      if (stale && replayable && !fresh && !response.headersSent) return send(true)
      if (!response.headersSent) refuse(response, 502, `${target} did not answer`)
      else response.destroy()
    })
    // A sandbox that goes away mid-answer: its upstream connection is not left half-read in the pool.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy()
    })
    if (replayable) upstream.end()
    else request.pipe(upstream)
  }
  // A request with no body has nothing to send up, and may be sent twice.
  if (replayable) request.resume()
  send(false)
}
