/**
 * Opening an API WebSocket: the client's API key header and TLS settings on
 * the upgrade request, and a refused upgrade (a plain HTTP error reply)
 * turned into the SDK error its envelope names.
 */
import type { IncomingMessage } from 'node:http'
import WebSocket from 'ws'
import { clientError, type WorkspaceError } from './errors.js'
import { errorFromResponse } from './error-response.js'
import type { QueryParams, Transport } from './transport.js'

/** Largest error reply read from a refused upgrade. */
const REFUSAL_BODY_LIMIT = 64 * 1024

/** What to open, and how long it may take to be accepted. */
export interface SocketRequest {
  path: string
  query?: QueryParams
  /** Deadline of the upgrade and of whatever the caller waits for after it (`ready`). */
  timeoutMs: number
  signal?: AbortSignal | undefined
}

/**
 * Opens the WebSocket and watches its opening: `failed` is called once with
 * the error if the upgrade is refused, the network fails, the deadline passes
 * or `signal` aborts before `opened()` is called by the owner. The returned
 * `opened` stops the watch (call it when the protocol says the socket is
 * ready).
 */
export function openApiSocket(
  transport: Transport,
  request: SocketRequest,
  failed: (error: WorkspaceError) => void,
): { socket: WebSocket; opened: () => void } {
  const what = `GET ${request.path}`
  const socket = new WebSocket(transport.socketUrl(request.path, request.query), {
    headers: transport.authHeaders(),
    rejectUnauthorized: transport.config.verifyTls,
    perMessageDeflate: false,
  })
  let settled = false
  const settle = (error?: WorkspaceError): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', onAbort)
    if (!error) return
    failed(error)
    socket.terminate()
  }
  const onAbort = (): void =>
    settle(clientError('aborted', `${what} was aborted`, { cause: request.signal?.reason }))
  const timer = setTimeout(() => {
    settle(clientError('timeout', `${what} was not ready within ${request.timeoutMs / 1000}s`))
  }, request.timeoutMs)
  if (request.signal?.aborted) queueMicrotask(onAbort)
  else request.signal?.addEventListener('abort', onAbort, { once: true })

  socket.on('unexpected-response', (_request, response) => {
    void refusal(response).then(settle)
  })
  socket.on('error', (error) => {
    const code = (error as { code?: unknown }).code
    settle(
      clientError('network', `${what} failed: ${error.message}`, {
        cause: error,
        details: typeof code === 'string' ? { errno: code } : {},
      }),
    )
  })
  socket.on('close', (code, reason) => {
    const detail = reason.length ? `: ${reason.toString('utf8')}` : ''
    settle(clientError('network', `${what} closed before it was ready (${code}${detail})`))
  })
  return { socket, opened: () => settle() }
}

/** The SDK error a refused upgrade's reply stands for (404 2001, 404 4001, 401 1002, ...). */
async function refusal(response: IncomingMessage): Promise<WorkspaceError> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of response) {
      size += (chunk as Buffer).length
      if (size > REFUSAL_BODY_LIMIT) break
      chunks.push(chunk as Buffer)
    }
  } catch {
    // A cut-off body still maps by status below.
  }
  return errorFromResponse(response.statusCode ?? 0, response.statusMessage, Buffer.concat(chunks))
}
