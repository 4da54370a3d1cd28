/**
 * The client variables of the seed table, given in the environment only, on
 * the core WorkspaceClient. `config.test.ts` proves each one is resolved and
 * `manager-config.test.ts` proves its effect through WorkspaceManagerClient
 * (whose file calls are its own routes); here a client built from `env` alone
 * talks to a real local HTTP server, so each test sees where requests went,
 * what headers they carried, and that a timeout variable bounds the calls it
 * is meant for and not the others.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { WorkspaceClient, WorkspaceError, type ClientEnvironment } from '../src/index.js'
import {
  replyJson,
  startTestServer,
  wireFileInfo,
  wireSandbox,
  type RecordedRequest,
} from './support/test-server.js'

type Route = 'workspaces' | 'files' | 'sandboxes' | 'processes'

function routeOf(request: RecordedRequest): Route {
  const path = request.url.pathname
  if (path.endsWith('/files/content')) return 'files'
  if (path.endsWith('/processes')) return 'processes'
  if (path.startsWith('/v1/sandboxes')) return 'sandboxes'
  return 'workspaces'
}

/** A recording stand-in of the API; `delays` slows a route, `content` is every file. */
async function startApi() {
  const state = {
    delays: new Map<Route, number>(),
    content: Buffer.from('hello'),
    sandboxState: 'running',
  }
  const server = await startTestServer(async (request, response) => {
    const route = routeOf(request)
    await sleep(state.delays.get(route) ?? 0)
    if (route === 'files' && request.method === 'GET') {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': state.content.length,
      })
      response.end(state.content)
    } else if (route === 'files') replyJson(response, 201, wireFileInfo('f', 1))
    else if (route === 'processes') {
      replyJson(response, 200, { pid: 42, exit_code: 0, stdout: 'ok\n', stderr: '' })
    } else if (route === 'sandboxes' && request.method === 'POST') {
      replyJson(response, 201, wireSandbox('sb1'))
    } else if (route === 'sandboxes') {
      replyJson(response, 200, wireSandbox('sb1', { state: state.sandboxState }))
    } else replyJson(response, 200, { workspaces: [] })
  })
  return Object.assign(state, { server })
}

type Api = Awaited<ReturnType<typeof startApi>>

const timedOut = (error: unknown) =>
  error instanceof WorkspaceError && error.details.reason === 'timeout'

/** Rejects with the client timeout within `withinMs`. */
async function timesOut(call: Promise<unknown>, withinMs: number): Promise<void> {
  const started = Date.now()
  await assert.rejects(call, timedOut)
  assert.ok(Date.now() - started < withinMs, `gave up after ${Date.now() - started} ms`)
}

describe('client variables set in the environment, on WorkspaceClient', () => {
  let api: Api
  let other: Api
  const clients: WorkspaceClient[] = []
  /** A client configured by `env` alone (over `base`: WORKSPACE_API_URL of the recording server). */
  const client = (
    env: ClientEnvironment = {},
    base: ClientEnvironment = { WORKSPACE_API_URL: api.server.url },
  ) => {
    const made = new WorkspaceClient({ env: { ...base, ...env } })
    clients.push(made)
    return made
  }
  const last = () => api.server.requests.at(-1) as RecordedRequest
  const bodyOfLast = () => JSON.parse(last().body.toString()) as Record<string, unknown>

  before(async () => {
    api = await startApi()
    other = await startApi()
  })
  beforeEach(() => {
    api.delays.clear()
    api.content = Buffer.from('hello')
    api.sandboxState = 'running'
  })
  after(async () => {
    for (const made of clients) made.close()
    await api.server.close()
    await other.server.close()
  })

  test('WORKSPACE_API_URL, then WM_BASE_URL, picks the server', async () => {
    await client({ WM_BASE_URL: other.server.url }, {}).workspace.list()
    assert.equal(other.server.requests.at(-1)?.url.pathname, '/v1/workspaces')
    const seenByOther = other.server.requests.length
    await client({ WM_BASE_URL: other.server.url }).workspace.list() // the primary wins
    assert.equal(last().url.pathname, '/v1/workspaces')
    assert.equal(other.server.requests.length, seenByOther)
  })

  test('WORKSPACE_API_KEY is sent in WORKSPACE_API_KEY_HEADER on every route', async () => {
    await client().workspace.list()
    assert.equal(last().headers['x-api-key'], undefined) // no key unless one is set
    await client({ WORKSPACE_API_KEY: 'env-key' }).workspace.readFile('ws1', 'f')
    assert.equal(last().headers['x-api-key'], 'env-key')
    const env = { WORKSPACE_API_KEY: 'env-key', WORKSPACE_API_KEY_HEADER: 'X-Gateway-Key' }
    await client(env).sandbox.get('sb1')
    assert.equal(last().headers['x-gateway-key'], 'env-key')
    assert.equal(last().headers['x-api-key'], undefined)
  })

  test('WM_REQUEST_TIMEOUT bounds an ordinary request', async () => {
    api.delays.set('workspaces', 500)
    assert.deepEqual(await client().workspace.list(), []) // the default (60 s) waits for it
    await timesOut(client({ WM_REQUEST_TIMEOUT: '0.1' }).workspace.list(), 450)
  })

  test('WM_FILE_TIMEOUT bounds file transfers, and only them', async () => {
    api.delays.set('workspaces', 500).set('files', 500)
    const shortRequests = client({ WM_REQUEST_TIMEOUT: '0.1' })
    assert.equal(await shortRequests.workspace.readFile('ws1', 'f'), 'hello') // WM_FILE_TIMEOUT: 120 s
    await timesOut(shortRequests.workspace.list(), 450)
    const shortFiles = client({ WM_REQUEST_TIMEOUT: '30', WM_FILE_TIMEOUT: '0.1' })
    assert.deepEqual(await shortFiles.workspace.list(), [])
    await timesOut(shortFiles.workspace.readFile('ws1', 'f'), 450)
    await timesOut(shortFiles.workspace.writeFile('ws1', 'f', 'x'), 450)
  })

  test('WM_CREATE_TIMEOUT bounds sandbox creation and the wait for a state', async () => {
    api.delays.set('sandboxes', 500)
    const shortRequests = client({ WM_REQUEST_TIMEOUT: '0.1' })
    assert.equal((await shortRequests.sandbox.create({ workspaceId: 'ws1' })).id, 'sb1')
    const shortCreate = client({ WM_REQUEST_TIMEOUT: '0.1', WM_CREATE_TIMEOUT: '0.1' })
    await timesOut(shortCreate.sandbox.create({ workspaceId: 'ws1' }), 450)
    api.delays.clear()
    api.sandboxState = 'starting'
    const waiting = client({ WM_CREATE_TIMEOUT: '0.3' })
    await assert.rejects(
      waiting.sandbox.waitForState('sb1', 'running', { intervalMs: 50 }),
      (error: unknown) => timedOut(error) && /still starting after 0.3s/.test(String(error)),
    )
  })

  test('WM_EXEC_TIMEOUT is the timeout sent with a command given none', async () => {
    await client().process.run('sb1', 'sleep', { args: ['1'] })
    assert.equal(bodyOfLast().timeout, 300)
    api.delays.set('processes', 500)
    const env = { WM_EXEC_TIMEOUT: '2', WM_REQUEST_TIMEOUT: '0.1' }
    const result = await client(env).process.run('sb1', 'sleep', { args: ['1'] })
    assert.equal(result.stdout, 'ok\n') // the reply is awaited past WM_REQUEST_TIMEOUT
    assert.equal(bodyOfLast().timeout, 2) // the server enforces this one
    await client(env).process.run('sb1', 'sleep', { args: ['1'], timeoutMs: 5000 })
    assert.equal(bodyOfLast().timeout, 5)
  })

  test('WM_MAX_FILE_TRANSFER_BYTES caps uploads and downloads', async () => {
    api.content = Buffer.alloc(32, 'y')
    assert.equal(await client().workspace.readFile('ws1', 'f'), 'y'.repeat(32)) // default 1 GiB
    const capped = client({ WM_MAX_FILE_TRANSFER_BYTES: '16' })
    const tooLarge = (error: unknown) =>
      error instanceof WorkspaceError &&
      error.code === 1004 &&
      /WM_MAX_FILE_TRANSFER_BYTES/.test(error.message)
    const sent = api.server.requests.length
    await assert.rejects(capped.workspace.writeFile('ws1', 'f', Buffer.alloc(17)), tooLarge)
    assert.equal(api.server.requests.length, sent) // refused before anything was sent
    await assert.rejects(capped.workspace.readFile('ws1', 'f'), tooLarge)
    await capped.workspace.writeFile('ws1', 'f', Buffer.alloc(16, 'x'))
    assert.equal(last().body.toString(), 'x'.repeat(16))
  })
})
