/** Receiving an upload's body into an open file: batched writes and early writeback. */
import type { FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { mapped } from './fs-errors.js'
import { writeAllv } from './tree.js'

/** Bytes gathered from the body before they are written in one call. */
const WRITE_BATCH_BYTES = 1 << 20

/**
 * Bytes written between two early flushes of the file to disk. Without them
 * the kernel keeps a whole upload (a GiB fits under its dirty limits) in the
 * page cache until the final fsync, which then writes all of it while the
 * client waits; flushing as the data arrives overlaps the disk's work with
 * the transfer, so the final fsync only has the tail left to write.
 */
const EARLY_SYNC_BYTES = 64 << 20

/**
 * Writes the body into `tmp`, at most `limit` bytes; `tooLarge` makes the
 * error for a body over it. Chunks are gathered into batches of about a MiB,
 * each written in one call while the next is read: writing each HTTP chunk
 * (tens of KiB) alone, and reading nothing meanwhile, left the disk and the
 * socket waiting on each other. At most one batch is in flight, so memory
 * stays bounded and the client is slowed to the disk's pace. Every
 * `EARLY_SYNC_BYTES` an fdatasync is started beside the writes (one at a
 * time; Node has no sync_file_range to start writeback without waiting for
 * it); the caller's final fsync still makes the whole file durable. On any
 * failure the write and the flush in flight are waited for before returning:
 * the caller then closes the descriptor, which neither may outlive.
 */
export async function receive(
  body: Readable,
  tmp: FileHandle,
  rel: string,
  limit: number,
  tooLarge: () => Error,
): Promise<void> {
  let total = 0
  let batch: Uint8Array[] = []
  let batched = 0
  let unsynced = 0
  let inFlight: Promise<void> = Promise.resolve()
  let early: Promise<void> = Promise.resolve()
  let earlyDone = true
  const flush = async () => {
    await inFlight
    // Every byte counted in `unsynced` is written now, so a flush started here covers it.
    if (earlyDone) {
      // A settled flush: awaiting it rethrows its failure (a full disk or quota) here.
      await early
      if (unsynced >= EARLY_SYNC_BYTES) {
        unsynced = 0
        earlyDone = false
        early = mapped(rel, () => tmp.datasync()).finally(() => (earlyDone = true))
        early.catch(() => undefined)
      }
    }
    const buffers = batch
    unsynced += batched
    batch = []
    batched = 0
    inFlight = mapped(rel, () => writeAllv(tmp, buffers))
    // Handled here so a failure while the next chunk is awaited is not an unhandled
    // rejection; it is thrown by the next `await inFlight`.
    inFlight.catch(() => undefined)
  }
  try {
    // destroyOnReturn: false: stopping early must not tear down an HTTP request the caller answers on.
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<unknown>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)
      total += buf.length
      if (total > limit) throw tooLarge()
      batch.push(buf)
      batched += buf.length
      if (batched >= WRITE_BATCH_BYTES) await flush()
    }
    if (batched) await flush()
    await inFlight
    await early
  } catch (error) {
    // A body left unread here may still fail later (a client going away): that is not news.
    body.on('error', () => undefined)
    await inFlight.catch(() => undefined)
    await early.catch(() => undefined)
    throw error
  }
}
