import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  TemplateNotFoundError,
  WorkspaceError,
  WorkspaceHandle,
  WorkspaceManagerClient,
  WorkspaceNotFoundError,
} from '../src/index.js'
import { bodyOf, FakeApi } from './manager-fake.test.js'

function timeoutFailure(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof WorkspaceError &&
    error.details.reason === 'timeout' &&
    error.code === 9002 &&
    pattern.test(error.message)
}

describe('WorkspaceManagerClient', () => {
  let api: FakeApi
  before(async () => {
    api = await FakeApi.start()
  })
  after(() => api.close())

  const fresh = (): void => {
    api.workspaces.clear()
    api.sandboxes.clear()
    api.sandboxFailure = undefined
    api.firstState = 'running'
    api.pollsUntilRunning = 0
  }

  test('health and application kinds', async () => {
    const client = api.client()
    assert.deepEqual(await client.health(), { status: 'ok', version: '0.1.0' })
    const kinds = await client.applicationKinds()
    assert.deepEqual(kinds, [
      { kind: 'splunk', plugin: 'splunk', template: 'wm-splunk-standin:latest' },
    ])
  })

  test('createWorkspace makes a workspace and its primary sandbox in one call', async () => {
    fresh()
    const ws = await api.client().createWorkspace({
      image: 'python:3.12',
      applicationKind: 'notebook',
      cpu: '500m',
      mem: '512m',
      env: { A: '1' },
      name: 'demo',
      metadata: { team: 'x' },
    })
    assert.ok(ws instanceof WorkspaceHandle)
    assert.deepEqual(bodyOf(api.seen('POST', /^\/v1\/workspaces$/).at(-1)!), {
      name: 'demo',
      metadata: { team: 'x' },
    })
    const create = api.seen('POST', /^\/v1\/sandboxes$/).at(-1)!
    assert.deepEqual(bodyOf(create), {
      workspace_id: ws.id,
      template: 'python:3.12',
      name: 'demo',
      env: { A: '1' },
      cpu: '500m',
      memory: '512m',
      application_kind: 'notebook',
    })
    assert.equal(create.url.searchParams.get('wait'), null)
    assert.equal(ws.sandbox?.state, 'running')
    assert.equal(ws.applicationKind, 'notebook')
    assert.deepEqual(JSON.parse(JSON.stringify(ws)), {
      id: ws.id,
      sandboxId: ws.sandboxId,
      workdir: '/workspace',
    })
  })

  test('waitReady false sends wait=false and does not poll', async () => {
    fresh()
    api.firstState = 'starting'
    api.pollsUntilRunning = 5
    const ws = await api.client().createWorkspace({ waitReady: false })
    const create = api.seen('POST', /^\/v1\/sandboxes$/).at(-1)!
    assert.equal(create.url.searchParams.get('wait'), 'false')
    assert.equal(ws.sandbox?.state, 'starting')
    assert.equal(api.seen('GET', new RegExp(`^/v1/sandboxes/${ws.sandboxId}$`)).length, 0)
  })

  test('waitReady polls a sandbox that is still starting', async () => {
    fresh()
    api.firstState = 'starting'
    api.pollsUntilRunning = 1
    const ws = await api.client().createWorkspace()
    assert.equal(ws.sandbox?.state, 'running')
    assert.equal(api.seen('GET', new RegExp(`^/v1/sandboxes/${ws.sandboxId}$`)).length, 2)
  })

  test('a sandbox that fails to start leaves nothing behind', async () => {
    fresh()
    api.sandboxFailure = [404, 2003]
    await assert.rejects(
      api.client().createWorkspace({ image: 'nope:latest' }),
      TemplateNotFoundError,
    )
    assert.equal(api.workspaces.size, 0)
    assert.equal(api.sandboxes.size, 0)
    const deletes = api.requests.filter((r) => r.method === 'DELETE').slice(-2)
    assert.match(deletes[0]!.url.pathname, /^\/v1\/sandboxes\//)
    assert.equal(deletes[0]!.url.searchParams.get('force'), 'true')
    assert.match(deletes[1]!.url.pathname, /^\/v1\/workspaces\//)
  })

  test('the create timeout bounds the wait, and the workspace is removed', async () => {
    fresh()
    api.firstState = 'starting'
    api.pollsUntilRunning = 1e9
    const client = api.client({ createTimeoutMs: 300 })
    await assert.rejects(
      client.createWorkspace(),
      timeoutFailure(/within 0.3s \(timeoutMs \/ WM_CREATE_TIMEOUT\)/),
    )
    assert.equal(api.workspaces.size, 0)
    assert.equal(api.sandboxes.size, 0)
    await assert.rejects(client.createWorkspace({ timeoutMs: 200 }), timeoutFailure(/0.2s/))
    assert.equal(api.workspaces.size, 0)
  })

  test('a failed clean-up is noted on the error, not thrown', async () => {
    fresh()
    api.sandboxFailure = [500, 1000]
    api.missing.add('delete-workspace')
    await assert.rejects(api.client().createWorkspace(), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.code, 1000)
      assert.match(String(error.details.cleanupError), /no route/)
      return true
    })
    api.missing.delete('delete-workspace')
    assert.equal(api.sandboxes.size, 0)
    assert.equal(api.workspaces.size, 1)
  })

  test('listWorkspaces pairs each workspace with its primary sandbox', async () => {
    fresh()
    const client = api.client()
    const first = await client.createWorkspace({ name: 'a' })
    const bare = await client.workspace.create()
    api.sandboxes.get(first.sandboxId!)!.state = 'error'
    const extra = await client.sandbox.create({ workspaceId: first.id })
    const handles = await client.listWorkspaces()
    assert.deepEqual(
      handles.map((h) => [h.id, h.sandboxId]),
      [
        [first.id, extra.id],
        [bare.id, null],
      ],
    )
  })

  test('getWorkspace', async () => {
    fresh()
    const client = api.client()
    const made = await client.createWorkspace()
    const got = await client.getWorkspace(made.id)
    assert.deepEqual([got.id, got.sandboxId], [made.id, made.sandboxId])
    assert.equal(api.last.url.searchParams.get('workspace_id'), made.id)
    await assert.rejects(client.getWorkspace('nope'), WorkspaceNotFoundError)
  })

  test('deleteWorkspace deletes its sandboxes first, gracefully by default', async () => {
    fresh()
    const client = api.client()
    const ws = await client.createWorkspace()
    const other = await client.createWorkspace()
    const start = api.requests.length
    await client.deleteWorkspace(ws.id)
    const deletes = api.requests.slice(start).filter((r) => r.method === 'DELETE')
    assert.deepEqual(
      deletes.map((r) => r.url.pathname),
      [`/v1/sandboxes/${ws.sandboxId}`, `/v1/workspaces/${ws.id}`],
    )
    assert.equal(deletes[0]!.url.searchParams.get('force'), 'false')
    assert.deepEqual([...api.workspaces.keys()], [other.id])
    await assert.rejects(client.deleteWorkspace(ws.id), WorkspaceNotFoundError)
  })

  test('the API key is sent but never shown', async () => {
    const client = new WorkspaceManagerClient({ baseUrl: api.url, apiKey: 'k-secret', env: {} })
    await client.health()
    assert.equal(api.last.headers['x-api-key'], 'k-secret')
    assert.equal(client.baseUrl, api.url)
    assert.doesNotMatch(JSON.stringify(client), /k-secret/)
  })
})
