import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { searchOutcome } from '../src/plugins/splunk/search.js'
import { createWorkspace, tempDir, testApp } from './helpers/app.js'
import { TEST_TEMPLATE, docker } from './helpers/sandbox.js'

const TIMEOUT = { timeout: 240_000 }
const USERNAME = 'wm-splunk-user'
// Spaces, a colon and shell metacharacters: passed through env, never a command line.
const PASSWORD = 'pa$$ word:"quoted" `tick`'

/** An app with the Splunk credentials whose every log line (trace level) is kept. */
async function splunkApp(t: TestContext, env: Record<string, string> = {}) {
  const logged: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged.push(String(chunk))
      done()
    },
  })
  const config = loadConfig({
    WM_DATA_DIR: await tempDir(t),
    WM_NFS_ENABLED: 'false',
    WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
    WORKSPACE_STOP_TIMEOUT_SECONDS: '1',
    WORKSPACE_DEFAULT_MEM: '512m',
    SPLUNK_USERNAME: USERNAME,
    SPLUNK_PASSWORD: PASSWORD,
    ...env,
  })
  const app = await buildApp(config, { logger: pino({ level: 'trace' }, sink) })
  const sandboxes: string[] = []
  t.after(async () => {
    for (const id of sandboxes) {
      await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${id}?force=true` })
    }
    await app.close()
  })
  await app.ready()
  const create = async (body: Record<string, unknown>) => {
    const workspaceId = await createWorkspace(app)
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, ...body },
    })
    if (response.statusCode === 201) sandboxes.push(response.json().id)
    return response
  }
  const search = (id: string, query: string) =>
    app.inject({ method: 'POST', url: `/v1/sandboxes/${id}/splunk/search`, payload: { query } })
  return { app, logged, create, search }
}

test('a splunk sandbox without SPLUNK_USERNAME/SPLUNK_PASSWORD is refused with 400 naming them', async (t) => {
  for (const [env, names] of [
    [{}, 'SPLUNK_USERNAME and SPLUNK_PASSWORD'],
    [{ SPLUNK_USERNAME: 'someone' }, 'SPLUNK_PASSWORD'],
    [{ SPLUNK_PASSWORD: 'x' }, 'SPLUNK_USERNAME'],
  ] as const) {
    const { app } = await testApp(t, env)
    const workspaceId = await createWorkspace(app)
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, application_kind: 'splunk' },
    })
    assert.equal(response.statusCode, 400, response.body)
    assert.equal(response.json().error.code, 1001)
    assert.equal(
      response.json().error.message,
      `application kind splunk cannot be used: set ${names} in the server's environment: sandboxes of kind splunk are given those credentials`,
    )
    assert.deepEqual(
      (await app.inject({ method: 'GET', url: '/v1/sandboxes' })).json().sandboxes,
      [],
    )
  }
})

test(
  'a splunk sandbox runs the stand-in and answers searches through the sandbox; the password is never logged nor shown',
  TIMEOUT,
  async (t) => {
    const { app, logged, create, search } = await splunkApp(t)
    const created = await create({ application_kind: 'splunk' })
    assert.equal(created.statusCode, 201, created.body)
    const sandbox = created.json()
    assert.equal(sandbox.template, 'wm-splunk-standin:latest')
    assert.equal(sandbox.state, 'running')
    assert.equal(sandbox.env, null)

    // Ready means the service answers: the first search works at once.
    const stats = await search(sandbox.id, 'index=main status=5* | stats count by host')
    assert.equal(stats.statusCode, 200, stats.body)
    assert.deepEqual(stats.json(), { results: [{ host: 'web-01', count: '1' }] })

    const table = await search(sandbox.id, 'search index=security action=failure | table user src')
    assert.deepEqual(table.json().results, [
      { user: 'root', src: '203.0.113.7' },
      { user: 'admin', src: '203.0.113.7' },
    ])
    const head = await search(sandbox.id, 'index=main | head 2')
    assert.equal(head.json().results.length, 2)
    assert.equal(head.json().results[0].uri, '/')
    const none = await search(sandbox.id, 'index=main host=nowhere')
    assert.deepEqual(none.json(), { results: [] })

    const bad = await search(sandbox.id, 'index=main | frobnicate')
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 1001)
    assert.equal(
      bad.json().error.message,
      "Splunk refused the search: Unknown search command 'frobnicate'.",
    )

    // The service is the template's own command, run by the agent beside its API.
    const processes = await app.inject({
      method: 'GET',
      url: `/v1/sandboxes/${sandbox.id}/processes`,
    })
    assert.ok(
      processes
        .json()
        .processes.some(
          (p: any) => p.cmd === 'python3' && p.args.includes('/opt/splunk-standin/standin.py'),
        ),
    )
    // It refuses other credentials (401); the route maps that to 403, tested below.
    const wrong = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${sandbox.id}/processes`,
      payload: {
        cmd: 'python3',
        args: [
          '-c',
          `import urllib.request, urllib.error, base64
r = urllib.request.Request("http://127.0.0.1:8089/services/search/jobs/export", b"search=search+x&output_mode=json",
    {"Authorization": "Basic " + base64.b64encode(b"${USERNAME}:wrong").decode()})
try: urllib.request.urlopen(r)
except urllib.error.HTTPError as e: print(e.code)`,
        ],
      },
    })
    assert.equal(wrong.json().stdout, '401\n')

    const shown = [
      created.body,
      (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandbox.id}` })).body,
      processes.body,
    ]
    for (const body of shown) assert.ok(!body.includes(PASSWORD), body)
    const log = logged.join('')
    assert.ok(log.includes(sandbox.id), 'the log was captured')
    assert.ok(!log.includes(PASSWORD), 'the password appears in the log')
    assert.ok(!log.includes(Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')))
  },
)

test(
  'searching a sandbox of another kind is 404 code 1007; a splunk sandbox restored from a checkpoint serves again',
  TIMEOUT,
  async (t) => {
    const { app, create, search } = await splunkApp(t)
    const plain = await create({})
    assert.equal(plain.statusCode, 201, plain.body)
    const refused = await search(plain.json().id, 'index=main')
    assert.equal(refused.statusCode, 404)
    assert.equal(refused.json().error.code, 1007)
    assert.match(refused.json().error.message, /is of application kind none, not splunk/)

    const splunk = (await create({ application_kind: 'splunk' })).json()
    const checkpoint = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${splunk.id}/checkpoints`,
    })
    assert.equal(checkpoint.statusCode, 201, checkpoint.body)
    const restored = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${splunk.id}/checkpoints/${checkpoint.json().id}/restore`,
    })
    assert.equal(restored.statusCode, 200, restored.body)
    const image = await docker.getImage(checkpoint.json().image).inspect()
    assert.ok(!JSON.stringify(image.Config.Env).includes(PASSWORD), 'the image keeps no password')
    const again = await search(splunk.id, 'index=security | stats count by action')
    assert.equal(again.statusCode, 200, again.body)
    assert.deepEqual(again.json().results, [
      { action: 'failure', count: '2' },
      { action: 'success', count: '1' },
    ])
  },
)

test('how the in-sandbox search ended becomes results or an API error', () => {
  const ended = (exit_code: number, stdout: string, truncated = false) => ({
    pid: 1,
    exit_code,
    stdout,
    stderr: '',
    truncated,
  })
  assert.deepEqual(searchOutcome(ended(0, '{"results": [{"a": "1"}]}'), 30), [{ a: '1' }])
  const refusal = (fn: () => unknown, code: number, message: RegExp) =>
    assert.throws(fn, (error: any) => error.code === code && message.test(error.message))
  refusal(
    () => searchOutcome(ended(3, '{"status": 401, "body": ""}'), 30),
    1003,
    /refused the credentials/,
  )
  refusal(
    () =>
      searchOutcome(
        ended(3, '{"status": 400, "body": "{\\"messages\\": [{\\"text\\": \\"bad\\"}]}"}'),
        30,
      ),
    1001,
    /Splunk refused the search: bad/,
  )
  refusal(
    () => searchOutcome(ended(3, '{"status": 503, "body": "busy"}'), 30),
    1000,
    /Splunk answered 503: busy/,
  )
  refusal(
    () => searchOutcome(ended(4, '{"status": null, "body": "refused"}'), 30),
    2005,
    /not answering.*refused/,
  )
  refusal(
    () => searchOutcome(ended(5, '{"status": null, "body": "timed out"}'), 30),
    3002,
    /did not answer within 30 s: timed out/,
  )
  refusal(
    () => searchOutcome(ended(127, ''), 30),
    1000,
    /could not run in the sandbox \(exit code 127\)/,
  )
  refusal(() => searchOutcome(ended(0, '{"results": []}', true), 30), 1004, /narrow the search/)
})
