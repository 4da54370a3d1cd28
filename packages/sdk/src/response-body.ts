/** Reading a response body, with the inactivity timer kept alive and an optional size cap. */
import type { Readable } from 'node:stream'
import { ByteLimitStream } from './byte-limit.js'
import { transferTooLargeError } from './errors.js'
import type { Exchange } from './exchange.js'

/**
 * Wraps a response body in a stream that enforces `limitBytes` while bytes
 * flow, touches the exchange's timer, and reports failures as SDK errors.
 */
export function guardBody(body: Readable, exchange: Exchange, limitBytes: number): ByteLimitStream {
  const guarded = new ByteLimitStream({
    limitBytes,
    onExceeded: () => transferTooLargeError(limitBytes, 'download'),
    onProgress: () => exchange.touch(),
  })
  body.on('error', (error) => guarded.destroy(exchange.translate(error)))
  guarded.on('error', () => body.destroy())
  guarded.on('close', () => {
    exchange.finish()
    if (!body.readableEnded) body.destroy()
  })
  body.pipe(guarded)
  return guarded
}

/** Reads a whole body into one buffer (at most `limitBytes`), then ends the exchange. */
export async function collectBody(
  body: Readable,
  exchange: Exchange,
  limitBytes = Number.MAX_SAFE_INTEGER,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of guardBody(body, exchange, limitBytes)) chunks.push(chunk as Buffer)
  } catch (error) {
    throw exchange.translate(error)
  } finally {
    exchange.finish()
  }
  return Buffer.concat(chunks)
}
