/**
 * The one HTTP transport every service is built on: a keep-alive agent made
 * once, JSON converted at the edge, timeouts, cancellation and streaming bodies.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import { fromWire, toWire, type CamelCased } from './case.js'
import type { ResolvedClientConfig } from './config.js'
import { clientError, transferTooLargeError, WorkspaceError } from './errors.js'
import { errorFromResponse } from './error-response.js'
import { Exchange } from './exchange.js'
import { prepareBody, type PreparedBody, type UploadContent } from './request-body.js'
import { collectBody } from './response-body.js'
import { ByteLimitStream } from './byte-limit.js'

/** HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Query parameters; `undefined` values are left out, a list repeats its name. */
export type QueryParams = Readonly<
  Record<string, string | number | boolean | readonly string[] | undefined>
>

/** One request as services describe it. */
export interface TransportRequest {
  method: HttpMethod
  /** Path below the base URL, starting with `/` (ids already encoded). */
  path: string
  query?: QueryParams
  /** JSON body in camelCase; converted to snake_case on the way out. */
  json?: unknown
  /** Raw body, streamed. */
  body?: UploadContent
  /** Known length of a streamed raw body. */
  bodyLength?: number
  /** Cap on a raw body, enforced before and while sending. */
  bodyLimitBytes?: number
  /** `Accept` header; by default JSON is preferred and anything accepted. */
  accept?: string
  /** Inactivity timeout; default `timeoutMs` of the configuration; `Infinity` for none. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** A response whose status was 2xx and whose body is still to be read. */
export interface OpenResponse {
  status: number
  headers: IncomingHttpHeaders
  body: IncomingMessage
  exchange: Exchange
}

/** Sends requests to the API; one instance per client. */
export class Transport {
  readonly #config: ResolvedClientConfig
  readonly #base: URL
  readonly #agent: http.Agent
  readonly #send: typeof http.request

  /** Creates the transport and its connection pool. */
  constructor(config: ResolvedClientConfig) {
    this.#config = config
    this.#base = new URL(`${config.apiUrl}/`)
    const secure = this.#base.protocol === 'https:'
    this.#agent = secure
      ? new https.Agent({ keepAlive: true, rejectUnauthorized: config.verifyTls })
      : new http.Agent({ keepAlive: true })
    this.#send = secure ? https.request : http.request
  }

  /** The configuration this transport was made with. */
  get config(): ResolvedClientConfig {
    return this.#config
  }

  /** Sends a request and returns its JSON reply converted to camelCase (`undefined` for 204). */
  async json<Wire>(request: TransportRequest): Promise<CamelCased<Wire>> {
    const { status, body, exchange } = await this.open(request)
    const text = (await collectBody(body, exchange)).toString('utf8')
    if (status === 204 || text === '') return undefined as CamelCased<Wire>
    try {
      return fromWire(JSON.parse(text) as Wire)
    } catch (error) {
      throw clientError(
        'invalid-response',
        `${describe(request)} returned a body that is not JSON`,
        {
          cause: error,
        },
      )
    }
  }

  /** Sends a request whose reply body is not needed. */
  async call(request: TransportRequest): Promise<void> {
    const { body, exchange } = await this.open(request)
    await collectBody(body, exchange)
  }

  /** Sends a request and resolves once a 2xx status arrives; error statuses become SDK errors. */
  async open(request: TransportRequest): Promise<OpenResponse> {
    const body = this.#prepare(request)
    const timeoutMs = request.timeoutMs ?? this.#config.timeoutMs
    const exchange = new Exchange(describe(request), timeoutMs, request.signal)
    const response = await this.#exchange(request, body, exchange)
    if (response.statusCode !== undefined && response.statusCode < 300) {
      return { status: response.statusCode, headers: response.headers, body: response, exchange }
    }
    const errorBody = await collectBody(response, exchange, 1024 * 1024)
    throw errorFromResponse(response.statusCode ?? 0, response.statusMessage, errorBody)
  }

  /** The `ws://` or `wss://` URL of a WebSocket route. */
  socketUrl(path: string, query: QueryParams = {}): URL {
    const url = this.#url({ method: 'GET', path, query })
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    return url
  }

  /** The headers that authenticate a request (the API key, when one is set). */
  authHeaders(): Record<string, string> {
    const { apiKey, apiKeyHeader } = this.#config
    return apiKey === undefined ? {} : { [apiKeyHeader]: apiKey }
  }

  /** Closes idle keep-alive connections; the client can still be used afterwards. */
  close(): void {
    this.#agent.destroy()
  }

  #prepare(request: TransportRequest): PreparedBody | undefined {
    if (request.json !== undefined) {
      return { kind: 'bytes', bytes: Buffer.from(JSON.stringify(toWire(request.json)), 'utf8') }
    }
    if (request.body === undefined) return undefined
    const limit = request.bodyLimitBytes ?? Number.MAX_SAFE_INTEGER
    return prepareBody(request.body, limit, request.bodyLength)
  }

  #headers(request: TransportRequest, body: PreparedBody | undefined): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = {
      accept: request.accept ?? 'application/json, */*',
      ...this.authHeaders(),
    }
    if (body?.kind === 'bytes') headers['content-length'] = body.bytes.byteLength
    if (body?.kind === 'stream' && body.length !== undefined)
      headers['content-length'] = body.length
    if (body) {
      headers['content-type'] =
        request.json !== undefined ? 'application/json' : 'application/octet-stream'
    }
    return headers
  }

  #url(request: TransportRequest): URL {
    const url = new URL(request.path.replace(/^\//, ''), this.#base)
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item)
      else if (value !== undefined) url.searchParams.set(key, String(value))
    }
    return url
  }

  #exchange(
    request: TransportRequest,
    body: PreparedBody | undefined,
    exchange: Exchange,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (exchange.signal.aborted) return reject(exchange.translate(exchange.signal.reason))
      const outgoing = this.#send(this.#url(request), {
        method: request.method,
        agent: this.#agent,
        headers: this.#headers(request, body),
        signal: exchange.signal,
      })
      outgoing.on('response', (response) => {
        exchange.touch()
        resolve(response)
      })
      outgoing.on('error', (error) => {
        exchange.finish()
        reject(exchange.translate(error))
      })
      if (body?.kind === 'stream') this.#stream(body, request, outgoing, exchange)
      else outgoing.end(body?.bytes)
    })
  }

  #stream(
    body: Extract<PreparedBody, { kind: 'stream' }>,
    request: TransportRequest,
    outgoing: http.ClientRequest,
    exchange: Exchange,
  ): void {
    const limitBytes = request.bodyLimitBytes ?? Number.MAX_SAFE_INTEGER
    const limiter = new ByteLimitStream({
      limitBytes,
      onExceeded: () => transferTooLargeError(limitBytes, 'upload'),
      onProgress: () => exchange.touch(),
    })
    const failUpload = (error: unknown): void => {
      if (error instanceof WorkspaceError) return exchange.fail(error)
      const detail = error instanceof Error ? error.message : String(error)
      exchange.fail(clientError('upload-source', `reading the upload content failed: ${detail}`))
    }
    body.stream.on('error', failUpload)
    limiter.on('error', failUpload)
    // Whatever ends the request (done, refused early, aborted) releases the source.
    outgoing.on('close', () => {
      body.stream.unpipe(limiter)
      limiter.destroy()
      if (!body.stream.readableEnded) body.stream.destroy()
    })
    body.stream.pipe(limiter).pipe(outgoing)
  }
}

function describe(request: TransportRequest): string {
  return `${request.method} ${request.path}`
}
