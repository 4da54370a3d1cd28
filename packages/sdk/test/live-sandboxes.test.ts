import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  SandboxNotFoundError,
  TemplateNotFoundError,
  WorkspaceError,
  WorkspaceNotFoundError,
  type Sandbox,
} from '../src/index.js'
import { LIVE_TEMPLATE, liveClient, skipLive } from './support/live.js'

describe('live: sandboxes', { skip: skipLive }, () => {
  const client = liveClient()
  let workspaceId = ''
  let sandbox: Sandbox

  before(async () => {
    workspaceId = (await client.workspace.create({ name: 'sdk-live-sandboxes' })).id
    sandbox = await client.sandbox.create({
      workspaceId,
      template: LIVE_TEMPLATE,
      name: 'sdk-live',
      env: { SDK_LIVE: 'yes' },
      metadata: { owner_name: 'sdk' },
      timeout: 900,
      cpu: 0.5,
      memory: '256m',
    })
  })
  after(async () => {
    await client.sandbox.delete(sandbox.id, { force: true }).catch(() => undefined)
    await client.workspace.delete(workspaceId).catch(() => undefined)
    client.close()
  })

  test('create waits until running and returns the whole camelCase sandbox', () => {
    assert.match(sandbox.id, /^[A-Za-z0-9_-]{1,128}$/)
    assert.equal(sandbox.state, 'running')
    assert.equal(sandbox.workspaceId, workspaceId)
    assert.equal(sandbox.template, LIVE_TEMPLATE)
    assert.equal(sandbox.name, 'sdk-live')
    assert.deepEqual(sandbox.env, { SDK_LIVE: 'yes' })
    assert.deepEqual(sandbox.metadata, { owner_name: 'sdk' })
    assert.equal(sandbox.timeout, 900)
    assert.equal(sandbox.cpu, 0.5)
    assert.equal(sandbox.memory, 256 * 1024 * 1024)
    assert.equal(sandbox.networkMode, 'none')
    assert.equal(sandbox.errorMessage, null)
    assert.ok(sandbox.expiresAt && Date.parse(sandbox.expiresAt) > Date.parse(sandbox.createdAt))
  })

  test('get, list with filters and exists', async () => {
    assert.deepEqual((await client.sandbox.get(sandbox.id)).id, sandbox.id)
    const mine = await client.sandbox.list({ workspaceId })
    assert.deepEqual(
      mine.map((s) => s.id),
      [sandbox.id],
    )
    const running = await client.sandbox.list({ state: 'running' })
    assert.ok(running.some((s) => s.id === sandbox.id))
    assert.ok(!(await client.sandbox.list({ state: 'error' })).some((s) => s.id === sandbox.id))
    assert.equal(await client.sandbox.exists(sandbox.id), true)
    assert.equal(await client.sandbox.exists('no-such-sandbox'), false)
  })

  test('waitForState returns at once when the state is already reached', async () => {
    const waited = await client.sandbox.waitForState(sandbox.id, 'running', { timeoutMs: 5000 })
    assert.equal(waited.state, 'running')
  })

  test('a workspace with a sandbox cannot be deleted (7002)', async () => {
    await assert.rejects(client.workspace.delete(workspaceId), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.deepEqual([error.code, error.status], [7002, 409])
      return true
    })
  })

  test('create with wait: false, then waitForState, then delete', async () => {
    const started = await client.sandbox.create(
      { workspaceId, template: LIVE_TEMPLATE },
      { wait: false },
    )
    assert.ok(['starting', 'running'].includes(started.state))
    const running = await client.sandbox.waitForState(started.id, 'running', {
      timeoutMs: 60_000,
      intervalMs: 200,
    })
    assert.equal(running.id, started.id)
    await client.sandbox.delete(started.id)
    assert.equal(await client.sandbox.exists(started.id), false)
    await assert.rejects(client.sandbox.get(started.id), (error: unknown) => {
      assert.ok(error instanceof SandboxNotFoundError)
      assert.deepEqual([error.code, error.status], [2001, 404])
      return true
    })
  })

  test('a missing template is TemplateNotFoundError and creates nothing', async () => {
    const before = (await client.sandbox.list({ workspaceId })).length
    await assert.rejects(
      client.sandbox.create({ workspaceId, template: 'workspace-no-such-image:never' }),
      (error: unknown) => {
        assert.ok(error instanceof TemplateNotFoundError)
        assert.deepEqual([error.code, error.status], [2003, 404])
        return true
      },
    )
    assert.equal((await client.sandbox.list({ workspaceId })).length, before)
  })

  test('a missing workspace is WorkspaceNotFoundError', async () => {
    await assert.rejects(
      client.sandbox.create({ workspaceId: 'no-such-workspace', template: LIVE_TEMPLATE }),
      WorkspaceNotFoundError,
    )
  })

  test('deleting a missing sandbox is SandboxNotFoundError', async () => {
    await assert.rejects(client.sandbox.delete('no-such-sandbox'), SandboxNotFoundError)
  })
})
