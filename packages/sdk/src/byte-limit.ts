/** A pass-through stream that counts bytes and fails once a cap is exceeded. */
import { Transform, type TransformCallback } from 'node:stream'
import type { WorkspaceError } from './errors.js'

/** Options of {@link ByteLimitStream}. */
export interface ByteLimitOptions {
  /** Largest number of bytes allowed through. */
  limitBytes: number
  /** The error to fail with once the cap is exceeded. */
  onExceeded: () => WorkspaceError
  /** Called for every chunk (used to keep an inactivity timer alive). */
  onProgress?: () => void
}

/** Passes bytes through unchanged; errors as soon as more than `limitBytes` have passed. */
export class ByteLimitStream extends Transform {
  readonly #options: ByteLimitOptions
  #seen = 0

  /** Creates a limiter with the given cap. */
  constructor(options: ByteLimitOptions) {
    super()
    this.#options = options
  }

  /** Bytes passed through so far. */
  get bytesSeen(): number {
    return this.#seen
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length
    this.#options.onProgress?.()
    if (this.#seen > this.#options.limitBytes) callback(this.#options.onExceeded())
    else callback(null, chunk)
  }
}
