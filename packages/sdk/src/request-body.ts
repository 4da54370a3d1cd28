/** Turning the body types callers may pass into something `http.request` can send. */
import { Readable } from 'node:stream'
import { transferTooLargeError } from './errors.js'

/** Content accepted for uploads: text (sent as UTF-8), bytes, a Node stream or any async iterable of bytes. */
export type UploadContent = string | Uint8Array | Readable | AsyncIterable<Uint8Array>

/** A body ready to send: whole bytes with a known length, or a stream (sent chunked unless `length` is known). */
export type PreparedBody =
  { kind: 'bytes'; bytes: Uint8Array } | { kind: 'stream'; stream: Readable; length?: number }

/** Prepares content for sending; whole content over `limitBytes` is refused before anything is sent. */
export function prepareBody(
  content: UploadContent,
  limitBytes: number,
  length?: number,
): PreparedBody {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
    if (bytes.byteLength > limitBytes) throw transferTooLargeError(limitBytes, 'upload')
    return { kind: 'bytes', bytes }
  }
  if (length !== undefined && length > limitBytes) throw transferTooLargeError(limitBytes, 'upload')
  const stream =
    content instanceof Readable ? content : Readable.from(content, { objectMode: false })
  return { kind: 'stream', stream, length }
}
