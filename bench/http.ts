import http from 'node:http'

/** An HTTP reply: status and body text. */
export interface TextReply {
  status: number
  text: string
}

/** A JSON request to the server at `base`, answered with status and body text. */
export type Requester = (method: string, route: string, body?: unknown) => Promise<TextReply>

/**
 * A client of the server at `base` over one keep-alive connection (so a
 * timed request never pays for a TCP handshake), and how to close it.
 */
export function jsonClient(base: URL): { request: Requester; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const request: Requester = (method, route, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path: route,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  return { request, close: () => agent.destroy() }
}

/** Parses a reply's JSON body, or throws with its status and text unless its status is `want`. */
export function expectJson<T>(reply: TextReply, want: number, what: string): T {
  if (reply.status !== want) throw new Error(`${what}: ${reply.status} ${reply.text}`)
  return JSON.parse(reply.text) as T
}
