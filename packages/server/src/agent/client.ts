import http from 'node:http'
import type net from 'node:net'
import { errorInfoForCode, type ErrorEnvelope, type ErrorKey } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { AgentEndpoint } from '../runtime/types.js'
import { connectVerified } from './handshake.js'

const HELLO_TIMEOUT_MS = 5_000

/** Options of one request to an agent. */
export interface AgentRequestOptions {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  /** Raw body streamed as is (stdin); exclusive with `body`. */
  rawBody?: NodeJS.ReadableStream
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Where an agent listens, or how to find out: a resolver is asked once, on
 * the first connection, and its answer kept for the client's life (a
 * failed answer is asked again next time).
 */
export type AgentEndpointSource = AgentEndpoint | (() => Promise<AgentEndpoint>)

/**
 * An http.Agent whose every new connection is verified with the hello
 * handshake before it is used, and then kept alive for later requests.
 */
class VerifiedAgent extends http.Agent {
  readonly #token: string
  #endpoint: AgentEndpointSource

  constructor(endpoint: AgentEndpointSource, token: string) {
    super({ keepAlive: true, maxSockets: 64, maxFreeSockets: 8 })
    this.#endpoint = endpoint
    this.#token = token
  }

  override createConnection(
    _options: unknown,
    callback?: (error: Error | null, socket: net.Socket) => void,
  ): undefined {
    this.#resolveEndpoint()
      .then((endpoint) => connectVerified(endpoint, this.#token, HELLO_TIMEOUT_MS))
      .then(
        (socket) => callback?.(null, socket),
        (error: Error) => callback?.(error, undefined as unknown as net.Socket),
      )
    return undefined
  }

  async #resolveEndpoint(): Promise<AgentEndpoint> {
    if (typeof this.#endpoint !== 'function') return this.#endpoint
    const endpoint = await this.#endpoint()
    this.#endpoint = endpoint
    return endpoint
  }
}

/** Errors meaning the agent is not there (yet or any more), on a socket or over TCP. */
const UNREACHABLE = new Set([
  'ENOENT',
  'ENOTSOCK',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

function notConnected(sandboxId: string, cause: Error): ApiError {
  return new ApiError(
    'AGENT_NOT_CONNECTED',
    `the agent of sandbox ${sandboxId} is not answering: ${cause.message}`,
    {
      sandbox_id: sandboxId,
    },
  )
}

/**
 * Talks HTTP to one sandbox's agent, over a unix socket or TCP (whichever
 * `endpoint` is), on kept-alive connections each verified once.
 */
export class AgentClient {
  readonly sandboxId: string
  /**
   * Environment every process and PTY started through this client gets
   * beneath its own: the sandbox's env where its container could not be
   * given it when made (a sandbox claimed from the warm pool); else empty.
   */
  processEnv: Readonly<Record<string, string>> = {}
  readonly #agent: VerifiedAgent
  readonly #token: string

  constructor(sandboxId: string, endpoint: AgentEndpointSource, token: string) {
    this.sandboxId = sandboxId
    this.#token = token
    this.#agent = new VerifiedAgent(endpoint, token)
  }

  /** The environment to send for a process or PTY asking for `env`: `env` over `processEnv`. */
  envFor(env: Record<string, string> | null | undefined): Record<string, string> | undefined {
    if (Object.keys(this.processEnv).length === 0) return env ?? undefined
    return { ...this.processEnv, ...env }
  }

  /** Sends a request and parses the JSON reply; agent errors become ApiErrors with the agent's code. */
  async json<T>(options: AgentRequestOptions): Promise<T> {
    const response = await this.open(options)
    const text = await readAll(response)
    if (response.statusCode === 204) return undefined as T
    return JSON.parse(text) as T
  }

  /** Sends a request and resolves the response once its status is 2xx (for streamed bodies). */
  async open(options: AgentRequestOptions): Promise<http.IncomingMessage> {
    const response = await this.#send(options)
    const status = response.statusCode ?? 0
    if (status >= 200 && status < 300) return response
    const text = await readAll(response)
    throw agentError(text, status)
  }

  /**
   * Sends an HTTP/1.1 Upgrade request (`Upgrade: wm-pty`, or `protocol`) and
   * resolves the raw, verified connection once the agent answers 101; any
   * other answer becomes an ApiError with the agent's code.
   */
  upgrade(path: string, protocol = 'wm-pty'): Promise<{ socket: net.Socket; head: Buffer }> {
    return new Promise((resolve, reject) => {
      const request = http.request({
        agent: this.#agent,
        host: 'agent',
        method: 'GET',
        path,
        headers: {
          authorization: `Bearer ${this.#token}`,
          connection: 'Upgrade',
          upgrade: protocol,
        },
      })
      request.on('upgrade', (_response, socket, head) => resolve({ socket, head }))
      request.on('response', (response) => {
        readAll(response).then((text) => reject(agentError(text, response.statusCode ?? 0)), reject)
      })
      request.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          UNREACHABLE.has(error.code ?? '') || !error.code
            ? notConnected(this.sandboxId, error)
            : error,
        )
      })
      request.end()
    })
  }

  /** Closes every kept-alive connection. */
  close(): void {
    this.#agent.destroy()
  }

  #send(options: AgentRequestOptions): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload =
        options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
      const request = http.request(
        {
          agent: this.#agent,
          host: 'agent',
          method: options.method,
          path: options.path,
          signal: options.signal,
          headers: {
            authorization: `Bearer ${this.#token}`,
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': payload.length }
              : {}),
          },
        },
        resolve,
      )
      if (options.timeoutMs !== undefined) {
        request.setTimeout(options.timeoutMs, () =>
          request.destroy(
            Object.assign(new Error('agent request timed out'), { code: 'ETIMEDOUT' }),
          ),
        )
      }
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name === 'AbortError') reject(error)
        else if (UNREACHABLE.has(error.code ?? '') || !error.code) {
          reject(notConnected(this.sandboxId, error))
        } else reject(error)
      })
      if (options.rawBody) options.rawBody.pipe(request)
      else request.end(payload)
    })
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    stream.on('error', reject)
  })
}

function agentError(text: string, status: number): ApiError {
  try {
    const envelope = JSON.parse(text) as ErrorEnvelope
    const info = errorInfoForCode(envelope.error.code)
    if (info) return new ApiError(info.key as ErrorKey, envelope.error.message)
  } catch {
    // Not an envelope: fall through.
  }
  return new ApiError('INTERNAL', `agent answered ${status}: ${text.slice(0, 200)}`)
}
