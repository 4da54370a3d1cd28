/** A tiny real HTTP server on 127.0.0.1:0 for tests: records requests, answers with a handler (or a canned reply per test). */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import assert from 'node:assert/strict'
import { after, before, beforeEach } from 'node:test'
import { WorkspaceClient, type WorkspaceClientOptions } from '../../src/index.js'

export interface RecordedRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: Buffer
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>

export interface TestServer {
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

/** Starts a server whose handler sees each request with its whole body already read. */
export async function startTestServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('error', () => undefined)
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://test'),
        headers: req.headers,
        body: Buffer.concat(chunks),
      }
      requests.push(recorded)
      void Promise.resolve(handler(recorded, res)).catch((error: unknown) => {
        res.statusCode = 599
        res.end(String(error))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Sends a JSON reply. */
export function replyJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}

/** Sends the API's error envelope. */
export function replyError(
  response: ServerResponse,
  status: number,
  code: number,
  message = 'boom',
) {
  replyJson(response, status, { error: { code, message, details: { hint: 'x' } } })
}

/** A wire-format workspace for canned replies. */
export function wireWorkspace(id = 'ws1', extra: Record<string, unknown> = {}) {
  return {
    id,
    name: 'demo',
    metadata: { owner_name: 'ann' },
    nfs_url: null,
    created_at: '2026-11-24T10:00:00.000Z',
    updated_at: '2026-11-24T10:00:00.000Z',
    ...extra,
  }
}

/** A wire-format file info for canned replies. */
export function wireFileInfo(path = 'a.txt', size = 3) {
  return {
    name: path.split('/').pop(),
    path,
    type: 'file',
    size,
    modified_at: '2026-11-24T10:00:00.000Z',
  }
}

/** A wire-format sandbox for canned replies. */
export function wireSandbox(id = 'sb1', extra: Record<string, unknown> = {}) {
  return {
    id,
    workspace_id: 'ws1',
    template: 'workspace-test:latest',
    state: 'running',
    created_at: '2026-11-24T10:00:00.000Z',
    updated_at: '2026-11-24T10:00:01.000Z',
    name: 'demo',
    env: { MY_VAR: '1' },
    metadata: { owner_name: 'ann' },
    timeout: 600,
    error_message: null,
    cpu: 0.5,
    memory: 268435456,
    network_mode: 'none',
    application_kind: null,
    expires_at: '2026-11-24T10:10:00.000Z',
    ...extra,
  }
}

/** Writes the head of an SSE reply. */
export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
}

/** One SSE frame as the server formats it. */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** A canned answer: a status and a JSON body; a number body is an error code, sent in the error envelope. */
export type CannedReply = [status: number, body: unknown]

/** A test server that answers with whatever the current test asks, and a client of it. */
export interface CannedApi {
  /** The server; its request log is emptied before each test. */
  readonly server: TestServer
  /** A client of the server, with the options given to `useCannedApi`. */
  readonly client: WorkspaceClient
  /** Answers each request (204 sends no body); each test sets it. */
  reply: (request: RecordedRequest) => CannedReply
  /** The one request the server saw in this test; fails if there were more or none. */
  only(): RecordedRequest
}

/**
 * Registers the file's hooks: before its tests a server answering with `reply` and a client of it
 * (no environment variables read unless `options.env` says so), before each test an empty request
 * log, and after them both closed.
 */
export function useCannedApi(options: Omit<WorkspaceClientOptions, 'apiUrl'> = {}): CannedApi {
  let server: TestServer | undefined
  let client: WorkspaceClient | undefined
  const api: CannedApi = {
    get server() {
      assert.ok(server, 'the canned server starts in the before hook')
      return server
    },
    get client() {
      assert.ok(client, 'the canned client is made in the before hook')
      return client
    },
    reply: () => assert.fail('this test did not set reply'),
    only() {
      assert.equal(api.server.requests.length, 1)
      return api.server.requests[0] as RecordedRequest
    },
  }
  before(async () => {
    server = await startTestServer((request, response) => {
      const [status, body] = api.reply(request)
      if (status === 204) response.writeHead(204).end()
      else if (typeof body === 'number') replyError(response, status, body)
      else replyJson(response, status, body)
    })
    client = new WorkspaceClient({ env: {}, ...options, apiUrl: server.url })
  })
  beforeEach(() => {
    api.server.requests.length = 0
  })
  after(async () => {
    client?.close()
    await server?.close()
  })
  return api
}

/**
 * Runs `use` with a client (`options`, no environment variables) of a server that answers every
 * request with `[status, body]` only after `delayMs`, for tests of how long the client waits;
 * both are closed afterwards.
 */
export async function withLateReplies(
  [status, body]: CannedReply,
  delayMs: number,
  options: Omit<WorkspaceClientOptions, 'apiUrl'>,
  use: (client: WorkspaceClient) => Promise<void>,
): Promise<void> {
  const server = await startTestServer((_request, response) => {
    setTimeout(() => replyJson(response, status, body), delayMs)
  })
  const client = new WorkspaceClient({ env: {}, ...options, apiUrl: server.url })
  try {
    await use(client)
  } finally {
    client.close()
    await server.close()
  }
}
