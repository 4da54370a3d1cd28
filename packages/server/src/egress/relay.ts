import type http from 'node:http'

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

/**
 * Sends `request`'s body up `upstream` and the upstream's reply back down
 * `response`; `target` names the destination in the 502 when it does not answer.
 */
export function relay(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  upstream: http.ClientRequest,
  target: string,
): void {
  upstream.on('response', (reply) => {
    response.writeHead(reply.statusCode ?? 502, reply.statusMessage, endToEnd(reply.headers))
    reply.pipe(response)
  })
  upstream.on('error', () => {
    if (!response.headersSent) refuse(response, 502, `${target} did not answer`)
    else response.destroy()
  })
  request.pipe(upstream)
}
