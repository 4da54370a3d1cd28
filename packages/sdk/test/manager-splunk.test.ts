import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'
import { SplunkWorkspace, splunkCredentials, WorkspaceError } from '../src/index.js'
import { bodyOf, FakeApi } from './manager-fake.test.js'

const SECRET = 's3cret-Pa55'
const environment = { SPLUNK_USERNAME: 'admin', SPLUNK_PASSWORD: SECRET }

function missing(names: string) {
  return (error: unknown) =>
    error instanceof WorkspaceError &&
    error.details.reason === 'config' &&
    error.message.includes(`set ${names} in the environment`) &&
    !error.message.includes(SECRET)
}

describe('SplunkWorkspace', () => {
  let api: FakeApi
  before(async () => {
    api = await FakeApi.start()
  })
  after(() => api.close())

  test('creates a splunk workspace whose sandbox gets the credentials', async () => {
    const splunk = await SplunkWorkspace.create(api.client(), {
      environment,
      image: 'splunk/splunk:9',
      env: { TZ: 'UTC' },
      mem: '4g',
    })
    const body = bodyOf(api.seen('POST', /^\/v1\/sandboxes$/).at(-1)!)
    assert.equal(body.application_kind, 'splunk')
    assert.deepEqual([body.template, body.memory], ['splunk/splunk:9', '4g'])
    assert.deepEqual(body.env, { TZ: 'UTC', ...environment })
    assert.equal(splunk.sandboxId, splunk.handle.sandboxId)
  })

  test('search posts the query and returns Splunk field names untouched', async () => {
    const splunk = await SplunkWorkspace.create(api.client(), { environment })
    const results = await splunk.search('index=main | head 1')
    assert.deepEqual(results, [{ _raw: 'line', host: 'h1', source_type: 'x' }])
    assert.equal(api.last.url.pathname, `/v1/sandboxes/${splunk.sandboxId}/splunk/search`)
    assert.deepEqual(bodyOf(api.last), { query: 'index=main | head 1' })
    await splunk.search('error', { timeoutMs: 5000 })
    assert.deepEqual(bodyOf(api.last), { query: 'error', timeout: 5 })
    await assert.rejects(splunk.search('  '), TypeError)
  })

  test('the process environment is the default source; options beat it', async () => {
    const saved = { ...process.env }
    Object.assign(process.env, environment)
    try {
      assert.deepEqual(splunkCredentials(), environment)
      assert.deepEqual(splunkCredentials({ username: 'ops', password: 'other' }), {
        SPLUNK_USERNAME: 'ops',
        SPLUNK_PASSWORD: 'other',
      })
      await SplunkWorkspace.create(api.client(), { username: 'ops' })
      const env = bodyOf(api.seen('POST', /^\/v1\/sandboxes$/).at(-1)!).env
      assert.deepEqual(env, { SPLUNK_USERNAME: 'ops', SPLUNK_PASSWORD: SECRET })
    } finally {
      process.env = saved
    }
  })

  test('missing credentials fail clearly before anything is created', async () => {
    const start = api.requests.length
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'SPLUNK_USERNAME and SPLUNK_PASSWORD'],
      [{ SPLUNK_USERNAME: 'admin' }, 'SPLUNK_PASSWORD'],
      [{ SPLUNK_PASSWORD: SECRET }, 'SPLUNK_USERNAME'],
      [{ SPLUNK_USERNAME: 'admin', SPLUNK_PASSWORD: ' ' }, 'SPLUNK_PASSWORD'],
    ]
    for (const [env, names] of cases) {
      await assert.rejects(
        SplunkWorkspace.create(api.client(), { environment: env }),
        missing(names),
      )
    }
    assert.equal(api.requests.length, start)
  })

  test('wraps an existing splunk handle, refuses another kind', async () => {
    const client = api.client()
    const handle = await client.createWorkspace({ applicationKind: 'splunk' })
    const splunk = SplunkWorkspace.from(client, handle, { environment })
    assert.equal(splunk.handle, handle)
    assert.equal((await splunk.search('x')).length, 1)
    const other = await client.createWorkspace({ applicationKind: 'notebook' })
    assert.throws(() => SplunkWorkspace.from(client, other, { environment }), /kind "notebook"/)
    assert.throws(
      () => SplunkWorkspace.from(client, handle, { environment: {} }),
      missing('SPLUNK_USERNAME and SPLUNK_PASSWORD'),
    )
  })

  test('the password never shows', async () => {
    const client = api.client()
    const splunk = await SplunkWorkspace.create(client, { environment })
    const listed = (await client.listWorkspaces()).find((h) => h.id === splunk.id)!
    await splunk.handle.refresh()
    const shown = [
      JSON.stringify(splunk),
      inspect(splunk, { depth: 5 }),
      JSON.stringify(splunk.handle),
      inspect(splunk.handle, { depth: 5 }),
      JSON.stringify(splunk.handle.sandbox),
      JSON.stringify(listed.sandbox),
      JSON.stringify((await client.getWorkspace(splunk.id)).sandbox),
    ]
    for (const text of shown) assert.doesNotMatch(text, new RegExp(SECRET))
    assert.equal(splunk.handle.sandbox?.env?.SPLUNK_PASSWORD, '<redacted>')
    assert.equal(splunk.handle.sandbox?.env?.SPLUNK_USERNAME, 'admin')
  })

  test('a failed creation leaves nothing and shows no secret; await using deletes', async () => {
    api.sandboxFailure = [400, 1001]
    const before = api.workspaces.size
    await assert.rejects(
      SplunkWorkspace.create(api.client(), { environment }),
      (error: unknown) => {
        return error instanceof WorkspaceError && !inspect(error).includes(SECRET)
      },
    )
    api.sandboxFailure = undefined
    assert.equal(api.workspaces.size, before)
    const splunk = await SplunkWorkspace.create(api.client(), { environment })
    await splunk[Symbol.asyncDispose]()
    assert.equal(api.workspaces.has(splunk.id), false)
  })
})
