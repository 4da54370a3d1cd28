import type net from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import { type KubeConfig, PortForward } from '@kubernetes/client-node'

/** The websocket of one port-forward stream, as @kubernetes/client-node hands it back. */
type ForwardSocket = Extract<Awaited<ReturnType<PortForward['portForward']>>, { send: unknown }>

/** Bytes queued towards the API server before the local side is made to wait. */
const HIGH_WATER_BYTES = 1024 * 1024

/** What the two ends of one forwarded connection report. */
export interface StreamEvents {
  /** The kubelet could not reach the pod's port (its words), or the stream broke. */
  onError(message: string): void
}

/**
 * Opens one port-forward stream (a websocket through the API server and the
 * kubelet) to `port` of pod `podName`. Rejects as the API server refused the
 * upgrade: `Unexpected server response: 403` when the account may not create
 * `pods/portforward`, 404 when the pod is gone (api-errors.ts reads both).
 * Once open, every byte on the error channel goes to `onError`.
 */
export async function openForwardStream(
  kubeConfig: KubeConfig,
  namespace: string,
  podName: string,
  port: number,
  output: Writable,
  events: StreamEvents,
): Promise<ForwardSocket> {
  const errors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // The first frame of each channel is the port number alone, which the library strips.
      const message = chunk.toString('utf8').trim()
      if (message) events.onError(message)
      done()
    },
  })
  // Our bytes are sent with their own callbacks (for back-pressure, below), not through the
  // library's input stream: it gets one that never yields anything and never ends.
  const idle = new PassThrough()
  const socket = await new PortForward(kubeConfig).portForward(
    namespace,
    podName,
    [port],
    output,
    errors,
    idle,
  )
  if (typeof socket === 'function') throw new Error('a port-forward with retries was returned')
  return socket
}

/**
 * Forwards the accepted connection `local` to a port of a pod: opens one
 * stream, then copies both ways with back-pressure on each side, and closes
 * each side when the other ends or fails (the v4 channel protocol has no
 * half-close, so a local FIN ends the whole stream). Resolves once the
 * stream is open; rejects, with `local` destroyed, when it cannot be.
 */
export async function forwardConnection(
  local: net.Socket,
  open: (output: Writable, events: StreamEvents) => Promise<ForwardSocket>,
  onError: (message: string) => void,
): Promise<void> {
  let remote: ForwardSocket | undefined
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (
        chunk.length > 0 &&
        !local.destroyed &&
        !local.write(chunk) &&
        remote &&
        !remote.isPaused
      ) {
        // The local reader is slow: stop reading from the API server until it drains.
        const paused = remote
        paused.pause()
        local.once('drain', () => paused.resume())
      }
      done()
    },
  })
  try {
    remote = await open(output, {
      onError(message) {
        onError(message)
        local.destroy()
      },
    })
  } catch (error) {
    local.destroy()
    throw error
  }
  const stream = remote
  // The local side may have gone while the stream was opening.
  if (local.destroyed || local.readableEnded) {
    stream.close()
    local.destroy()
    return
  }
  stream.on('error', () => local.destroy())
  // Write what is left, then close: the agent's last answer must reach the client.
  stream.on('close', () => local.end(() => local.destroy()))
  local.on('end', () => stream.close())
  local.on('close', () => stream.close())
  local.on('data', (chunk: Buffer) => {
    // Channel 0 is the port's data; the API server expects the channel number before it.
    stream.send(Buffer.concat([Buffer.from([0]), chunk]), (error?: Error) => {
      if (error) local.destroy()
      else if (local.isPaused() && stream.bufferedAmount < HIGH_WATER_BYTES) local.resume()
    })
    if (stream.bufferedAmount >= HIGH_WATER_BYTES) local.pause()
  })
}
