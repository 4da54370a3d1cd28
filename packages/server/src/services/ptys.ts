import type net from 'node:net'
import { ApiError } from '../errors.js'
import { FrameDecoder, FrameType, type Frame } from '../agent/pty-frames.js'
import type { SandboxService } from './sandboxes.js'

/** How to start a terminal. */
export interface PtyOpenOptions {
  cols: number
  rows: number
  shell?: string
  env?: Record<string, string>
}

/** A live connection to one PTY of one sandbox's agent. */
export interface PtyConnection {
  ptyId: string
  socket: net.Socket
  /** Output offset the replay starts at. */
  offset: number
  /** Frames already read past the handshake. */
  pending: Frame[]
  decoder: FrameDecoder
}

/** Terminals inside sandboxes, through each sandbox's agent. */
export class PtyService {
  readonly #sandboxes: SandboxService

  constructor(sandboxes: SandboxService) {
    this.#sandboxes = sandboxes
  }

  /** Starts a shell on a new PTY and attaches to it. */
  async open(sandboxId: string, options: PtyOpenOptions): Promise<PtyConnection> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    const env = agent.envFor(options.env)
    const { pty_id: ptyId } = await agent.json<{ pty_id: string }>({
      method: 'POST',
      path: '/v1/ptys',
      body: {
        cols: options.cols,
        rows: options.rows,
        ...(options.shell ? { shell: options.shell } : {}),
        ...(env ? { env } : {}),
      },
    })
    return this.attach(sandboxId, ptyId)
  }

  /** Attaches to a live PTY, replaying kept output from `after` (or all of it). */
  async attach(sandboxId: string, ptyId: string, after?: number): Promise<PtyConnection> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(ptyId))
      throw new ApiError('PTY_NOT_FOUND', `pty ${ptyId} not found`)
    const agent = await this.#sandboxes.agentFor(sandboxId)
    const query = after === undefined ? '' : `?after=${after}`
    const { socket, head } = await agent.upgrade(`/v1/ptys/${ptyId}/attach${query}`)
    const decoder = new FrameDecoder()
    const pending = head.length ? decoder.push(head) : []
    const first = pending[0] ?? (await nextFrame(socket, decoder, pending))
    if (first.type !== FrameType.offset) {
      socket.destroy()
      throw new ApiError('INTERNAL', 'the agent did not start the PTY stream with its offset')
    }
    pending.shift()
    const { offset } = JSON.parse(first.payload.toString('utf8')) as { offset: number }
    return { ptyId, socket, offset, pending, decoder }
  }
}

/** Reads until at least one frame is complete; pushes it (and any others) onto `pending`. */
function nextFrame(socket: net.Socket, decoder: FrameDecoder, pending: Frame[]): Promise<Frame> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      try {
        pending.push(...decoder.push(chunk))
      } catch (error) {
        return fail(error as Error)
      }
      if (pending.length) {
        cleanup()
        socket.pause()
        resolve(pending[0]!)
      }
    }
    const fail = (error: Error) => {
      cleanup()
      socket.destroy()
      reject(new ApiError('AGENT_NOT_CONNECTED', `the PTY stream ended early: ${error.message}`))
    }
    const onEnd = () => fail(new Error('connection closed'))
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', fail)
    }
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('error', fail)
  })
}
