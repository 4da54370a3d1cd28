/**
 * The agent's PTY framing: 1 byte type, 4 bytes big-endian length, payload.
 * See docs/agent-protocol.md ("PTYs").
 */

/** Frame types. */
export const FrameType = {
  data: 0,
  resize: 1,
  kill: 2,
  exit: 3,
  offset: 4,
} as const
export type FrameTypeName = keyof typeof FrameType

const HEADER_BYTES = 5
/** Larger frames are a protocol error: the agent never sends more than one read's worth. */
const MAX_FRAME_BYTES = 4 * 1024 * 1024

/** Encodes one frame. */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  frame[0] = type
  frame.writeUInt32BE(payload.length, 1)
  frame.set(payload, HEADER_BYTES)
  return frame
}

/** Encodes a frame whose payload is JSON. */
export function encodeJsonFrame(type: number, value: unknown): Buffer {
  return encodeFrame(type, Buffer.from(JSON.stringify(value)))
}

/** One decoded frame. */
export interface Frame {
  type: number
  payload: Buffer
}

/** Splits a byte stream into frames, however the bytes were chunked. */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0)

  /** Adds bytes and returns every frame now complete. Throws on a frame over the size limit. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk
    const frames: Frame[] = []
    while (this.#pending.length >= HEADER_BYTES) {
      const length = this.#pending.readUInt32BE(1)
      if (length > MAX_FRAME_BYTES) throw new Error(`PTY frame of ${length} bytes is too large`)
      if (this.#pending.length < HEADER_BYTES + length) break
      frames.push({
        type: this.#pending[0]!,
        payload: this.#pending.subarray(HEADER_BYTES, HEADER_BYTES + length),
      })
      this.#pending = this.#pending.subarray(HEADER_BYTES + length)
    }
    return frames
  }
}
