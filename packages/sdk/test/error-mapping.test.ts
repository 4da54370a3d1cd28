import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { allErrorCodes } from '@workspace-manager/protocol'
import * as sdk from '../src/index.js'
import { WorkspaceClient, WorkspaceError } from '../src/index.js'
import { replyError, startTestServer, type TestServer } from './support/test-server.js'

let server: TestServer
let client: WorkspaceClient
/** What the next request is answered with, set by each test. */
let answer: { status: number; body: string; contentType: string } = {
  status: 200,
  body: '{}',
  contentType: 'application/json',
}

before(async () => {
  server = await startTestServer((_request, response) => {
    response.writeHead(answer.status, { 'content-type': answer.contentType })
    response.end(answer.body)
  })
  client = new WorkspaceClient({ apiUrl: server.url, env: {} })
})

after(async () => {
  client.close()
  await server.close()
})

describe('every code in the protocol table maps to its SDK error class', () => {
  for (const row of allErrorCodes()) {
    test(`${row.code} ${row.key} -> ${row.sdkError}`, async () => {
      const envelope = {
        error: { code: row.code, message: `failed ${row.key}`, details: { n: 1 } },
      }
      answer = {
        status: row.status,
        body: JSON.stringify(envelope),
        contentType: 'application/json',
      }
      const error = await client.workspace.get('ws1').then(
        () => assert.fail('expected an error'),
        (caught: unknown) => caught,
      )
      const expectedClass = sdk[row.sdkError]
      assert.ok(error instanceof expectedClass, `${String(error)} is a ${row.sdkError}`)
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.name, row.sdkError)
      assert.equal(error.code, row.code)
      assert.equal(error.status, row.status)
      assert.equal(error.message, `failed ${row.key}`)
      assert.deepEqual(error.details, { n: 1 })
    })
  }

  test('a code this version does not know is a plain WorkspaceError keeping its code', async () => {
    answer = {
      status: 418,
      body: JSON.stringify({ error: { code: 9999, message: 'teapot' } }),
      contentType: 'application/json',
    }
    await assert.rejects(client.workspace.list(), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.constructor, WorkspaceError)
      assert.deepEqual([error.code, error.status, error.details], [9999, 418, {}])
      return true
    })
  })

  test('sdkError builds the same classes directly', () => {
    const error = sdk.sdkError({ code: 5001, message: 'missing' })
    assert.ok(error instanceof sdk.FileNotFoundError)
    assert.equal(error.status, 404)
  })
})

describe('error bodies that are not the JSON envelope still map by status', () => {
  const cases: [number, string, number][] = [
    [400, 'bad request', 1001],
    [401, 'login required', 1002],
    [403, 'nope', 1003],
    [404, '<html>Not Found</html>', 1007],
    [413, 'too big', 1004],
    [429, 'slow down', 1005],
    [500, 'Internal Server Error', 1000],
    [502, 'Bad Gateway', 1000],
    [503, 'upstream down', 1006],
    [409, 'conflict', 0],
  ]
  for (const [status, body, code] of cases) {
    test(`${status} with a text body -> code ${code}`, async () => {
      answer = { status, body, contentType: 'text/html' }
      await assert.rejects(client.workspace.list(), (error: unknown) => {
        assert.ok(error instanceof WorkspaceError)
        assert.equal(error.status, status)
        assert.equal(error.code, code)
        assert.match(error.message, new RegExp(`HTTP ${status}.*${body.slice(0, 5)}`))
        return true
      })
    })
  }

  test('JSON that is not an envelope is treated like text', async () => {
    answer = { status: 404, body: '{"detail":"nope"}', contentType: 'application/json' }
    await assert.rejects(client.workspace.list(), { code: 1007, status: 404 })
  })

  test('an empty error body still gives a message', async () => {
    answer = { status: 503, body: '', contentType: 'text/plain' }
    await assert.rejects(client.workspace.list(), {
      code: 1006,
      message: 'HTTP 503 Service Unavailable',
    })
  })

  test('a 2xx reply that is not JSON is an invalid-response error', async () => {
    answer = { status: 200, body: 'hello', contentType: 'text/plain' }
    await assert.rejects(client.workspace.list(), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.details.reason, 'invalid-response')
      return true
    })
  })
})

describe('failures without a reply', () => {
  test('connection refused is a network WorkspaceError with status 0', async () => {
    const closed = await startTestServer(() => undefined)
    await closed.close()
    const offline = new WorkspaceClient({ apiUrl: closed.url, env: {} })
    await assert.rejects(offline.workspace.list(), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.name, 'WorkspaceError')
      assert.deepEqual([error.code, error.status], [9001, 0])
      assert.equal(error.details.reason, 'network')
      assert.match(error.message, /GET \/v1\/workspaces failed: .*ECONNREFUSED/)
      return true
    })
  })

  test('a server that never answers times out with a clear message', async (t) => {
    const silent = await startTestServer(() => undefined)
    t.after(() => silent.close())
    const impatient = new WorkspaceClient({ apiUrl: silent.url, timeoutMs: 150, env: {} })
    const started = Date.now()
    await assert.rejects(impatient.workspace.get('ws1'), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.details.reason, 'timeout')
      assert.match(error.message, /GET \/v1\/workspaces\/ws1 timed out after 0.15s/)
      return true
    })
    assert.ok(Date.now() - started < 2000)
  })

  test('a per-call timeout overrides the client default', async (t) => {
    const silent = await startTestServer(() => undefined)
    t.after(() => silent.close())
    const patient = new WorkspaceClient({ apiUrl: silent.url, env: {} })
    await assert.rejects(patient.workspace.list({ timeoutMs: 100 }), /timed out after 0.1s/)
  })

  test('an AbortSignal cancels the call', async (t) => {
    const silent = await startTestServer(() => undefined)
    t.after(() => silent.close())
    const patient = new WorkspaceClient({ apiUrl: silent.url, env: {} })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await assert.rejects(
      patient.workspace.list({ signal: controller.signal }),
      (error: unknown) => {
        assert.ok(error instanceof WorkspaceError)
        assert.equal(error.details.reason, 'aborted')
        return true
      },
    )
    const already = AbortSignal.abort()
    await assert.rejects(patient.workspace.list({ signal: already }), /was aborted/)
  })

  test('errors from a real reply use the envelope helper', async () => {
    const notFound = await startTestServer((_req, res) =>
      replyError(res, 404, 7001, 'no such workspace'),
    )
    const c = new WorkspaceClient({ apiUrl: notFound.url, env: {} })
    await assert.rejects(c.workspace.get('nope'), sdk.WorkspaceNotFoundError)
    c.close()
    await notFound.close()
  })
})
