import http from 'node:http'
import type net from 'node:net'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'

/** A reply read whole. */
export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** One HTTP/1.1 request to the listening app; `body` may be a stream (sent chunked). */
export function request(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | Readable } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.body instanceof Readable) options.body.pipe(req)
    else req.end(options.body)
  })
}

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as net.AddressInfo
  return `http://127.0.0.1:${address.port}`
}
