/**
 * An in-memory stand-in of the API on a real node:http server, for the
 * WorkspaceManagerClient tests: just enough state (workspaces, sandboxes,
 * files, minted tokens, checkpoints) to check call sequences such as
 * create-then-clean-up and token transfers, and every request recorded.
 * This module holds no tests; it is named `manager-*.test.ts` to sit with
 * the suites it serves.
 */
import type { ServerResponse } from 'node:http'
import { WorkspaceManagerClient, type WorkspaceManagerClientOptions } from '../src/index.js'
import {
  replyError,
  replyJson,
  startTestServer,
  type RecordedRequest,
  type TestServer,
  wireFileInfo,
  wireSandbox,
  wireWorkspace,
} from './support/test-server.js'

type Json = Record<string, unknown>
type Route = (request: RecordedRequest, response: ServerResponse, match: RegExpExecArray) => void
const NOW = '2026-11-24T10:00:00.000Z'
const CK = 'checkpoints'
const SPLUNK = { kind: 'splunk', plugin: 'splunk', template: 'wm-splunk-standin:latest' }

export class FakeApi {
  server!: TestServer
  workspaces = new Map<string, Json>()
  sandboxes = new Map<string, Json>()
  files = new Map<string, Buffer>()
  tokens = new Map<string, { ws: string; path: string; op: string }>()
  checkpoints = new Map<string, Json>()
  /** Base the server builds token URLs on; default its own URL. */
  publicBase: string | undefined
  validTokens = true
  sandboxFailure: [number, number] | undefined
  firstState = 'running'
  pollsUntilRunning = 0
  runResult: Json = { exit_code: 0, stdout: 'ok\n', stderr: '', truncated: false }
  searchResults: Json[] = [{ _raw: 'line', host: 'h1', source_type: 'x' }]
  /** Route names answering 404 code 1007, as a server without them would. */
  missing = new Set<string>()
  /** Milliseconds a route name waits before answering. */
  delays = new Map<string, number>()
  #ids = 0
  /** `METHOD /path` with `:x` for one segment, the name `missing` uses, the handler. */
  readonly #routes: Array<[string, string, Route]> = [
    ['GET /health', 'health', (_q, r) => replyJson(r, 200, { status: 'ok', version: '0.1.0' })],
    [
      'GET /v1/application-kinds',
      'kinds',
      (_q, r) => replyJson(r, 200, { application_kinds: [SPLUNK] }),
    ],
    ['POST /v1/workspaces', 'workspaces', (q, r) => this.#createWorkspace(q, r)],
    ['GET /v1/workspaces', 'workspaces', (_q, r) => this.#listWorkspaces(r)],
    ['POST /v1/workspaces/:id/files/tokens', 'tokens', (q, r, m) => this.#mint(q, r, m)],
    ['GET /v1/workspaces/:id/files/content', 'files', (q, r, m) => this.#read(q, r, m)],
    ['PUT /v1/workspaces/:id/files/content', 'files', (q, r, m) => this.#write(q, r, m)],
    ['GET /v1/workspaces/:id', 'workspaces', (_q, r, m) => this.#getWorkspace(r, m)],
    ['DELETE /v1/workspaces/:id', 'delete-workspace', (_q, r, m) => this.#deleteWorkspace(r, m)],
    ['POST /v1/sandboxes', 'sandboxes', (q, r) => this.#createSandbox(q, r)],
    ['GET /v1/sandboxes', 'sandboxes', (q, r) => this.#listSandboxes(q, r)],
    ['POST /v1/sandboxes/:id/processes', 'processes', (_q, r, m) => this.#run(r, m)],
    ['GET /v1/sandboxes/:id/ports/:port', 'ports', (_q, r, m) => this.#port(r, m)],
    [
      'POST /v1/sandboxes/:id/ports/:port/proxy-token',
      'ports',
      (_q, r, m) => this.#proxyToken(r, m),
    ],
    ['POST /v1/sandboxes/:id/checkpoints', CK, (q, r, m) => this.#checkpoint(q, r, m)],
    ['GET /v1/sandboxes/:id/checkpoints', CK, (_q, r, m) => this.#checkpointList(r, m)],
    ['POST /v1/sandboxes/:id/checkpoints/:c/restore', CK, (_q, r, m) => this.#restore(r, m)],
    ['DELETE /v1/sandboxes/:id/checkpoints/:c', CK, (_q, r, m) => this.#dropCheckpoint(r, m)],
    ['POST /v1/sandboxes/:id/splunk/search', 'splunk', (_q, r, m) => this.#search(r, m)],
    ['GET /v1/sandboxes/:id', 'sandboxes', (_q, r, m) => this.#getSandbox(r, m)],
    ['DELETE /v1/sandboxes/:id', 'sandboxes', (_q, r, m) => this.#deleteSandbox(r, m)],
  ]

  static async start(): Promise<FakeApi> {
    const api = new FakeApi()
    api.server = await startTestServer((request, response) => api.#handle(request, response))
    return api
  }

  get url(): string {
    return this.server.url
  }

  get requests(): RecordedRequest[] {
    return this.server.requests
  }

  get last(): RecordedRequest {
    return this.requests[this.requests.length - 1]!
  }

  /** A client on this fake (the URL explicit unless `options` gives one or asks for none). */
  client(options: WorkspaceManagerClientOptions = {}): WorkspaceManagerClient {
    return new WorkspaceManagerClient({ apiUrl: this.url, env: {}, ...options })
  }

  seen(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.url.pathname))
  }

  close(): Promise<void> {
    return this.server.close()
  }

  #handle(request: RecordedRequest, response: ServerResponse): void {
    for (const [route, name, handler] of this.#routes) {
      const [method, path] = route.split(' ') as [string, string]
      const pattern = new RegExp(`^${path.replace(/:\w+/g, '([^/]+)')}$`)
      const match = pattern.exec(request.url.pathname)
      if (!match || method !== request.method) continue
      if (this.missing.has(name)) return replyError(response, 404, 1007, 'no route')
      const answer = (): void => handler(request, response, match)
      return void setTimeout(answer, this.delays.get(name) ?? 0)
    }
    replyError(response, 404, 1007, `no route ${request.method} ${request.url.pathname}`)
  }

  #id(prefix: string): string {
    this.#ids += 1
    return `${prefix}${this.#ids}`
  }

  #createWorkspace(request: RecordedRequest, response: ServerResponse): void {
    const body = JSON.parse(request.body.toString() || '{}') as Json
    const id = this.#id('ws')
    this.workspaces.set(
      id,
      wireWorkspace(id, { name: body.name ?? null, metadata: body.metadata ?? null }),
    )
    replyJson(response, 201, this.workspaces.get(id))
  }

  #listWorkspaces(response: ServerResponse): void {
    replyJson(response, 200, { workspaces: [...this.workspaces.values()] })
  }

  #getWorkspace(response: ServerResponse, match: RegExpExecArray): void {
    const ws = this.workspaces.get(match[1]!)
    if (ws) replyJson(response, 200, ws)
    else replyError(response, 404, 7001, 'no workspace')
  }

  #deleteWorkspace(response: ServerResponse, match: RegExpExecArray): void {
    const id = match[1]!
    if (!this.workspaces.has(id)) return replyError(response, 404, 7001, 'no workspace')
    if ([...this.sandboxes.values()].some((s) => s.workspace_id === id)) {
      return replyError(response, 409, 7002, 'workspace in use by sandboxes')
    }
    this.workspaces.delete(id)
    response.writeHead(204).end()
  }

  #mint(request: RecordedRequest, response: ServerResponse, match: RegExpExecArray): void {
    const body = JSON.parse(request.body.toString()) as { path: string; operation: string }
    const token = `wm1.${this.#id('t')}`
    if (this.validTokens)
      this.tokens.set(token, { ws: match[1]!, path: body.path, op: body.operation })
    const query = new URLSearchParams({ path: body.path, token })
    const url = `${this.publicBase ?? this.url}/v1/workspaces/${match[1]}/files/content?${query}`
    replyJson(response, 201, {
      token,
      url,
      expires_at: NOW,
      operation: body.operation,
      path: body.path,
      header: 'Authorization',
      query_param: 'token',
    })
  }

  /** undefined: no token presented; else whether it opens this file for this operation. */
  #tokenOk(request: RecordedRequest, ws: string, op: string): boolean | undefined {
    const header = String(request.headers.authorization ?? '').replace(/^Bearer\s+/, '')
    const token = header || request.url.searchParams.get('token')
    if (!token) return undefined
    const grant = this.tokens.get(token)
    const path = request.url.searchParams.get('path')
    return grant?.ws === ws && grant.path === path && grant.op === op
  }

  #read(request: RecordedRequest, response: ServerResponse, match: RegExpExecArray): void {
    if (this.#tokenOk(request, match[1]!, 'download') === false) {
      return replyError(response, 401, 6001, 'token not valid here')
    }
    const data = this.files.get(`${match[1]}:${request.url.searchParams.get('path')}`)
    if (!data) return replyError(response, 404, 5001, 'no such file')
    response.writeHead(200, { 'content-length': data.length }).end(data)
  }

  #write(request: RecordedRequest, response: ServerResponse, match: RegExpExecArray): void {
    if (this.#tokenOk(request, match[1]!, 'upload') === false) {
      return replyError(response, 401, 6001, 'token not valid here')
    }
    const path = request.url.searchParams.get('path') ?? ''
    this.files.set(`${match[1]}:${path}`, request.body)
    replyJson(response, 200, wireFileInfo(path, request.body.length))
  }

  #createSandbox(request: RecordedRequest, response: ServerResponse): void {
    const body = JSON.parse(request.body.toString()) as Json
    if (!this.workspaces.has(String(body.workspace_id))) {
      return replyError(response, 404, 7001, 'no workspace')
    }
    const sandbox: Json = wireSandbox(this.#id('sb'), {
      workspace_id: body.workspace_id,
      template: body.template ?? 'default:latest',
      state: this.firstState,
      name: body.name ?? null,
      env: body.env ?? null,
      application_kind: body.application_kind ?? null,
    })
    this.sandboxes.set(String(sandbox.id), sandbox)
    if (this.sandboxFailure) {
      sandbox.state = 'error'
      const [status, code] = this.sandboxFailure
      return replyError(response, status, code, 'sandbox failed to start')
    }
    replyJson(response, 201, sandbox)
  }

  #listSandboxes(request: RecordedRequest, response: ServerResponse): void {
    const wanted = request.url.searchParams.get('workspace_id')
    const items = [...this.sandboxes.values()].filter((s) => !wanted || s.workspace_id === wanted)
    replyJson(response, 200, { sandboxes: items })
  }

  #getSandbox(response: ServerResponse, match: RegExpExecArray): void {
    const sandbox = this.sandboxes.get(match[1]!)
    if (!sandbox) return replyError(response, 404, 2001, 'no sandbox')
    if (sandbox.state === 'starting') {
      if (this.pollsUntilRunning <= 0) sandbox.state = 'running'
      this.pollsUntilRunning -= 1
    }
    replyJson(response, 200, sandbox)
  }

  #deleteSandbox(response: ServerResponse, match: RegExpExecArray): void {
    if (!this.sandboxes.delete(match[1]!)) return replyError(response, 404, 2001, 'no sandbox')
    response.writeHead(204).end()
  }

  #run(response: ServerResponse, match: RegExpExecArray): void {
    if (!this.sandboxes.has(match[1]!)) return replyError(response, 404, 2001, 'no sandbox')
    replyJson(response, 200, { pid: 7, ...this.runResult })
  }

  #proxyToken(response: ServerResponse, match: RegExpExecArray): void {
    const token = `wm1.t-${match[1]}-${match[2]}.mac`
    const url = `/v1/sandboxes/${match[1]}/proxy/${match[2]}/?wm_proxy_token=${token}`
    replyJson(response, 201, { token, url, expires_at: '2030-01-01T00:00:00.000Z' })
  }

  #port(response: ServerResponse, match: RegExpExecArray): void {
    const url = `${this.url}/v1/sandboxes/${match[1]}/proxy/${match[2]}/`
    replyJson(response, 200, { host: '127.0.0.1', port: Number(match[2]), url })
  }

  #checkpoint(request: RecordedRequest, response: ServerResponse, match: RegExpExecArray): void {
    const sandbox = this.sandboxes.get(match[1]!)
    if (!sandbox) return replyError(response, 404, 2001, 'no sandbox')
    const body = JSON.parse(request.body.toString() || '{}') as Json
    const id = this.#id('ck')
    this.checkpoints.set(id, {
      id,
      sandbox_id: sandbox.id,
      workspace_id: sandbox.workspace_id,
      name: body.name ?? null,
      kind: 'filesystem',
      image: `wm-checkpoint:${id}`,
      created_at: NOW,
    })
    replyJson(response, 201, this.checkpoints.get(id))
  }

  #checkpointList(response: ServerResponse, match: RegExpExecArray): void {
    const items = [...this.checkpoints.values()].filter((c) => c.sandbox_id === match[1])
    replyJson(response, 200, { checkpoints: items })
  }

  #restore(response: ServerResponse, match: RegExpExecArray): void {
    const sandbox = this.sandboxes.get(match[1]!)
    const checkpoint = this.checkpoints.get(match[2]!)
    if (!sandbox || !checkpoint) return replyError(response, 404, 1007, 'no checkpoint')
    sandbox.template = checkpoint.image
    replyJson(response, 200, sandbox)
  }

  #dropCheckpoint(response: ServerResponse, match: RegExpExecArray): void {
    if (!this.checkpoints.delete(match[2]!)) return replyError(response, 404, 1007, 'no checkpoint')
    response.writeHead(204).end()
  }

  #search(response: ServerResponse, match: RegExpExecArray): void {
    const sandbox = this.sandboxes.get(match[1]!)
    if (!sandbox) return replyError(response, 404, 2001, 'no sandbox')
    if (sandbox.application_kind !== 'splunk') {
      return replyError(response, 400, 1001, 'not a splunk sandbox')
    }
    replyJson(response, 200, { results: this.searchResults })
  }
}

/** JSON body of a recorded request. */
export function bodyOf(request: RecordedRequest): Json {
  return JSON.parse(request.body.toString() || '{}') as Json
}
