/**
 * Raw process output: the server's `application/octet-stream` reply to a run
 * (stdout bytes as written), its pid in a header and the exit in trailers.
 */
import type { Readable } from 'node:stream'
import { clientError } from './errors.js'
import type { RawOutput, RawOutputExit } from './process-types.js'
import { guardBody } from './response-body.js'
import type { OpenResponse } from './transport.js'

/** Turns an open raw output response into a {@link RawOutput}. */
export function rawOutput(response: OpenResponse): RawOutput {
  const pid = Number(response.headers['x-pid'])
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    response.body.destroy()
    response.exchange.finish()
    throw clientError('invalid-response', 'the raw output reply has no x-pid header')
  }
  const body = response.body
  const exit = new Promise<RawOutputExit>((resolve, reject) => {
    body.on('end', () => {
      // Trailers arrive with the body's last chunk: without them the stream broke.
      const code = Number(body.trailers['x-exit-code'])
      if (body.trailers['x-exit-code'] === undefined || !Number.isSafeInteger(code)) {
        reject(clientError('network', `the output of process ${pid} ended before it exited`))
      } else resolve({ exitCode: code, timedOut: body.trailers['x-timed-out'] === 'true' })
    })
    body.on('close', () => {
      if (!body.readableEnded)
        reject(clientError('network', `the output of process ${pid} was cut off`))
    })
  })
  // Read or not, a broken stream must not become an unhandled rejection.
  exit.catch(() => undefined)
  const stdout: Readable = guardBody(body, response.exchange, Number.MAX_SAFE_INTEGER)
  return { pid, stdout, exit }
}
