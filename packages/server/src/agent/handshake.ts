import fs from 'node:fs/promises'
import net from 'node:net'
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const MAX_HELLO_BYTES = 16 * 1024

/**
 * Opens a connection to an agent's unix socket and proves the peer is the
 * agent holding `token` before anything else is sent on it.
 *
 * The socket lives in a directory the sandbox can write, so a hostile
 * sandbox could replace it with a symlink to another socket on the host
 * (say, another sandbox's agent or the Docker engine). The path is refused
 * unless it is a socket itself, and the first exchange on every connection
 * is a harmless `GET /v1/hello` whose answer only the real agent can compute:
 * HMAC-SHA256(token, nonce).
 */
export async function connectVerified(
  socketPath: string,
  token: string,
  timeoutMs: number,
): Promise<net.Socket> {
  const stat = await fs.lstat(socketPath)
  if (!stat.isSocket()) throw new Error(`${socketPath} is not a socket`)
  const socket = net.connect({ path: socketPath })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const nonce = randomBytes(16).toString('hex')
    socket.write(
      `GET /v1/hello?nonce=${nonce} HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    )
    const body = await readHelloResponse(socket, timeoutMs)
    const { proof } = JSON.parse(body) as { proof?: unknown }
    const expected = createHmac('sha256', token).update(nonce).digest()
    const offered = typeof proof === 'string' ? Buffer.from(proof, 'hex') : Buffer.alloc(0)
    if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
      throw new Error('the agent socket answered without a valid proof')
    }
    return socket
  } catch (error) {
    socket.destroy()
    throw error
  }
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
