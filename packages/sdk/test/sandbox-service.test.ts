import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SandboxNotFoundError, TemplateNotFoundError, WorkspaceError } from '../src/index.js'
import { useCannedApi, wireSandbox, withLateReplies } from './support/test-server.js'

const api = useCannedApi()

describe('create', () => {
  test('sends every field in snake_case, env and metadata keys untouched; returns camelCase', async () => {
    api.reply = () => [201, wireSandbox('sb1')]
    const sandbox = await api.client.sandbox.create({
      workspaceId: 'ws1',
      template: 'workspace-test:latest',
      name: 'demo',
      env: { MY_VAR: '1' },
      metadata: { owner_name: 'ann' },
      timeout: 600,
      cpu: '500m',
      memory: 268435456,
      networkMode: 'bridge',
      applicationKind: 'python',
    })
    const request = api.only()
    assert.equal(request.method, 'POST')
    assert.equal(request.url.pathname, '/v1/sandboxes')
    assert.equal(request.url.search, '')
    assert.deepEqual(JSON.parse(request.body.toString()), {
      workspace_id: 'ws1',
      template: 'workspace-test:latest',
      name: 'demo',
      env: { MY_VAR: '1' },
      metadata: { owner_name: 'ann' },
      timeout: 600,
      cpu: '500m',
      memory: 268435456,
      network_mode: 'bridge',
      application_kind: 'python',
    })
    assert.deepEqual(sandbox, {
      id: 'sb1',
      workspaceId: 'ws1',
      template: 'workspace-test:latest',
      state: 'running',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:01.000Z',
      name: 'demo',
      env: { MY_VAR: '1' },
      metadata: { owner_name: 'ann' },
      timeout: 600,
      errorMessage: null,
      cpu: 0.5,
      memory: 268435456,
      networkMode: 'none',
      applicationKind: null,
      expiresAt: '2026-11-24T10:10:00.000Z',
    })
  })

  test('only the workspace is required; fields a caller adds are not sent', async () => {
    api.reply = () => [201, wireSandbox('sb1')]
    const params = { workspaceId: 'ws1', privileged: true }
    await api.client.sandbox.create(params)
    assert.deepEqual(JSON.parse(api.only().body.toString()), { workspace_id: 'ws1' })
  })

  test('wait: false asks for an immediate reply', async () => {
    api.reply = () => [201, wireSandbox('sb1', { state: 'starting' })]
    const sandbox = await api.client.sandbox.create({ workspaceId: 'ws1' }, { wait: false })
    assert.equal(sandbox.state, 'starting')
    assert.equal(api.only().url.search, '?wait=false')
  })

  test('waits up to createTimeoutMs, not the ordinary request timeout', async () => {
    const options = { timeoutMs: 100, createTimeoutMs: 2000 }
    await withLateReplies([201, wireSandbox('sb1')], 300, options, async (patient) => {
      assert.equal((await patient.sandbox.create({ workspaceId: 'ws1' })).id, 'sb1')
      await assert.rejects(
        patient.sandbox.create({ workspaceId: 'ws1' }, { timeoutMs: 50 }),
        (error: unknown) => error instanceof WorkspaceError && error.details.reason === 'timeout',
      )
    })
  })

  test('a missing template is TemplateNotFoundError', async () => {
    api.reply = () => [404, 2003]
    await assert.rejects(
      api.client.sandbox.create({ workspaceId: 'ws1', template: 'nope' }),
      TemplateNotFoundError,
    )
  })
})

describe('get, list, exists, delete', () => {
  test('get encodes the id', async () => {
    api.reply = () => [200, wireSandbox('a b')]
    assert.equal((await api.client.sandbox.get('a b')).id, 'a b')
    assert.equal(api.only().url.pathname, '/v1/sandboxes/a%20b')
  })

  test('list unwraps and passes the filters as snake_case query parameters', async () => {
    api.reply = () => [200, { sandboxes: [wireSandbox('s1'), wireSandbox('s2')] }]
    const all = await api.client.sandbox.list()
    assert.deepEqual(
      all.map((s) => s.workspaceId),
      ['ws1', 'ws1'],
    )
    assert.equal(api.only().url.search, '')
    api.server.requests.length = 0
    await api.client.sandbox.list({ state: 'running', workspaceId: 'ws1' })
    assert.equal(api.only().url.search, '?workspace_id=ws1&state=running')
  })

  test('exists is false only for 2001', async () => {
    api.reply = () => [200, wireSandbox('s1')]
    assert.equal(await api.client.sandbox.exists('s1'), true)
    api.reply = () => [404, 2001]
    assert.equal(await api.client.sandbox.exists('gone'), false)
    api.reply = () => [500, 1000]
    await assert.rejects(api.client.sandbox.exists('s1'), WorkspaceError)
  })

  test('delete sends force=false by default, force=true when asked', async () => {
    api.reply = () => [204, null]
    assert.equal(await api.client.sandbox.delete('s1'), undefined)
    await api.client.sandbox.delete('s1', { force: true })
    const sent = api.server.requests.map((r) => [r.method, r.url.pathname, r.url.search])
    assert.deepEqual(sent, [
      ['DELETE', '/v1/sandboxes/s1', '?force=false'],
      ['DELETE', '/v1/sandboxes/s1', '?force=true'],
    ])
  })

  test('a missing sandbox is SandboxNotFoundError', async () => {
    api.reply = () => [404, 2001]
    await assert.rejects(api.client.sandbox.delete('gone'), SandboxNotFoundError)
  })
})

describe('waitForState', () => {
  /** Replies with the given states in turn (the last one repeats). */
  function states(...sequence: [string, string | null][]) {
    let call = 0
    api.reply = () => {
      const [state, errorMessage] = sequence[Math.min(call++, sequence.length - 1)] ?? [
        'running',
        null,
      ]
      return [200, wireSandbox('s1', { state, error_message: errorMessage })]
    }
  }

  test('polls until the state is reached and returns the sandbox', async () => {
    states(['starting', null], ['starting', null], ['running', null])
    const sandbox = await api.client.sandbox.waitForState('s1', 'running', { intervalMs: 10 })
    assert.equal(sandbox.state, 'running')
    assert.equal(api.server.requests.length, 3)
  })

  test('landing in error while waiting for another state throws 2002 with the error message', async () => {
    states(['starting', null], ['error', 'out of memory'])
    await assert.rejects(
      api.client.sandbox.waitForState('s1', 'running', { intervalMs: 10 }),
      (error: unknown) => {
        assert.ok(error instanceof WorkspaceError)
        assert.equal(error.code, 2002)
        assert.match(error.message, /entered state error while waiting for running: out of memory/)
        assert.equal(error.details.errorMessage, 'out of memory')
        return true
      },
    )
  })

  test('waiting for error itself returns the sandbox', async () => {
    states(['running', null], ['error', 'exited with code 1'])
    const sandbox = await api.client.sandbox.waitForState('s1', 'error', { intervalMs: 10 })
    assert.equal(sandbox.errorMessage, 'exited with code 1')
  })

  test('gives up after timeoutMs with a timeout error naming the last state', async () => {
    states(['starting', null])
    const started = Date.now()
    await assert.rejects(
      api.client.sandbox.waitForState('s1', 'running', { timeoutMs: 120, intervalMs: 20 }),
      (error: unknown) => {
        assert.ok(error instanceof WorkspaceError)
        assert.equal(error.details.reason, 'timeout')
        assert.match(error.message, /still starting after 0\.12s of waiting for running/)
        return true
      },
    )
    assert.ok(Date.now() - started < 1000)
  })

  test('a sandbox removed meanwhile is SandboxNotFoundError', async () => {
    api.reply = () => [404, 2001]
    await assert.rejects(api.client.sandbox.waitForState('s1', 'stopped'), SandboxNotFoundError)
  })

  test('an abort signal stops the wait', async () => {
    states(['starting', null])
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await assert.rejects(
      api.client.sandbox.waitForState('s1', 'running', {
        intervalMs: 1000,
        signal: controller.signal,
      }),
      (error: unknown) => error instanceof WorkspaceError && error.details.reason === 'aborted',
    )
  })
})
