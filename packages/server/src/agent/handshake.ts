import fs from 'node:fs/promises'
import net from 'node:net'
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AgentEndpoint } from '../runtime/types.js'

const MAX_HELLO_BYTES = 16 * 1024

/**
 * Opens a connection to an agent wherever the runtime says it listens (a
 * unix socket or a TCP address) and proves the peer is the agent holding
 * `token` before anything else is sent on it. This is the one place that
 * decides how an agent is reached; everything else passes an endpoint.
 *
 * A socket lives in a directory the sandbox can write, so a hostile sandbox
 * could replace it with a symlink to another socket on the host (say,
 * another sandbox's agent or the Docker engine), and a TCP address may be
 * taken by whatever got the pod's IP. A socket path is refused unless it is
 * a socket itself, and on both kinds the first exchange on every connection
 * is a harmless `GET /v1/hello` whose answer only the real agent can
 * compute: HMAC-SHA256(token, nonce). `timeoutMs` bounds the connect and
 * the hello together.
 */
export async function connectVerified(
  endpoint: AgentEndpoint,
  token: string,
  timeoutMs: number,
): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs
  const socket = await connectTo(endpoint, timeoutMs)
  try {
    const nonce = randomBytes(16).toString('hex')
    socket.write(
      `GET /v1/hello?nonce=${nonce} HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    )
    const body = await readHelloResponse(socket, Math.max(deadline - Date.now(), 1))
    const { proof } = JSON.parse(body) as { proof?: unknown }
    const expected = createHmac('sha256', token).update(nonce).digest()
    const offered = typeof proof === 'string' ? Buffer.from(proof, 'hex') : Buffer.alloc(0)
    if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
      throw new Error(`${describeAgentEndpoint(endpoint)} answered without a valid proof`)
    }
    return socket
  } catch (error) {
    socket.destroy()
    throw error
  }
}

/** How an endpoint reads in messages: the socket's path, or `host:port`. */
export function describeAgentEndpoint(endpoint: AgentEndpoint): string {
  if ('socketPath' in endpoint) return endpoint.socketPath
  return net.isIPv6(endpoint.host)
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`
}

/** Connects without any bytes sent yet; a TCP peer that never answers fails after `timeoutMs`. */
async function connectTo(endpoint: AgentEndpoint, timeoutMs: number): Promise<net.Socket> {
  let socket: net.Socket
  if ('socketPath' in endpoint) {
    const stat = await fs.lstat(endpoint.socketPath)
    if (!stat.isSocket()) throw new Error(`${endpoint.socketPath} is not a socket`)
    socket = net.connect({ path: endpoint.socketPath })
  } else {
    // Keystrokes of a PTY are tiny writes: Nagle's algorithm would hold them back.
    socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(timedOut(`${describeAgentEndpoint(endpoint)} did not accept in time`)),
        timeoutMs,
      )
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  } catch (error) {
    socket.destroy()
    throw error
  }
  return socket
}

function timedOut(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' })
}

/** Reads one small HTTP response with a Content-Length body; leaves the socket idle. */
function readHelloResponse(socket: net.Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const timer = setTimeout(
      () => finish(new Error('the agent did not answer the hello in time')),
      timeoutMs,
    )
    const finish = (error: Error | null, body?: string) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
      if (error) reject(error)
      else resolve(body ?? '')
    }
    const onError = (error: Error) => finish(error)
    const onEnd = () => finish(new Error('the agent closed the connection during the hello'))
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length > MAX_HELLO_BYTES) return finish(new Error('hello response too large'))
      const headerEnd = buffered.indexOf('\r\n\r\n')
      if (headerEnd === -1) return
      const head = buffered.subarray(0, headerEnd).toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]
      if (status !== '200') return finish(new Error(`hello answered ${status ?? 'garbage'}`))
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN)
      if (!Number.isFinite(length)) return finish(new Error('hello response has no Content-Length'))
      const bodyStart = headerEnd + 4
      if (buffered.length < bodyStart + length) return
      if (buffered.length > bodyStart + length)
        return finish(new Error('unexpected bytes after hello'))
      finish(null, buffered.subarray(bodyStart).toString('utf8'))
    }
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('end', onEnd)
  })
}
