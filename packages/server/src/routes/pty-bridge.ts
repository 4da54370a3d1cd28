import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from '@fastify/websocket'
import { FrameType, encodeFrame, encodeJsonFrame, type Frame } from '../agent/pty-frames.js'
import type { PtyConnection } from '../services/ptys.js'

/** Output queued toward a slow client beyond which the PTY is paused (back-pressure). */
const HIGH_WATER_BYTES = 1024 * 1024
const LOW_WATER_BYTES = 256 * 1024
const MAX_DIMENSION = 1000

function validSize(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_DIMENSION
}

/**
 * Joins a client WebSocket to an agent PTY connection. Binary frames are
 * terminal bytes both ways; text frames are JSON control. The client gets
 * `{"type":"ready"}` first and `{"type":"exit","code"}` last. A client that
 * goes away only detaches: the PTY lives on for its grace period.
 */
export function bridgePty(ws: WebSocket, connection: PtyConnection, log: FastifyBaseLogger): void {
  const { socket, decoder, ptyId } = connection
  let paused = false
  let exited = false

  const sendControl = (message: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
  }
  const onFrame = (frame: Frame) => {
    if (frame.type === FrameType.data) {
      ws.send(frame.payload, { binary: true }, () => {
        if (paused && ws.bufferedAmount < LOW_WATER_BYTES) {
          paused = false
          socket.resume()
        }
      })
      if (!paused && ws.bufferedAmount > HIGH_WATER_BYTES) {
        paused = true
        socket.pause()
      }
    } else if (frame.type === FrameType.exit) {
      exited = true
      const { code } = JSON.parse(frame.payload.toString('utf8')) as { code: number }
      sendControl({ type: 'exit', code })
      ws.close(1000, 'pty exited')
    }
  }

  sendControl({ type: 'ready', pty_id: ptyId, offset: connection.offset })
  for (const frame of connection.pending) onFrame(frame)
  connection.pending.length = 0

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of decoder.push(chunk)) onFrame(frame)
    } catch (error) {
      log.warn({ err: error, ptyId }, 'bad frame from the agent')
      socket.destroy()
    }
  })
  socket.on('close', () => {
    if (!exited && ws.readyState === ws.OPEN) ws.close(1011, 'lost the sandbox agent')
  })
  socket.on('error', () => undefined)
  socket.resume()

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      if (!socket.write(encodeFrame(FrameType.data, data))) {
        ws.pause()
        socket.once('drain', () => ws.resume())
      }
      return
    }
    let message: { type?: unknown; cols?: unknown; rows?: unknown }
    try {
      message = JSON.parse(data.toString('utf8')) as typeof message
    } catch {
      return sendControl({ type: 'error', code: 1001, message: 'control frames must be JSON' })
    }
    if (message.type === 'resize' && validSize(message.cols) && validSize(message.rows)) {
      socket.write(encodeJsonFrame(FrameType.resize, { cols: message.cols, rows: message.rows }))
    } else if (message.type === 'kill') {
      socket.write(encodeFrame(FrameType.kill))
    } else {
      sendControl({
        type: 'error',
        code: 1001,
        message: `unknown control message; expected {"type":"resize","cols":1-${MAX_DIMENSION},"rows":1-${MAX_DIMENSION}} or {"type":"kill"}`,
      })
    }
  })
  ws.on('close', () => socket.destroy())
  ws.on('error', () => socket.destroy())
}
