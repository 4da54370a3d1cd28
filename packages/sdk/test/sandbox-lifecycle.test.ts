import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SandboxNotFoundError, WorkspaceError } from '../src/index.js'
import {
  useCannedApi,
  wireSandbox,
  withLateReplies,
  type CannedReply,
} from './support/test-server.js'

const api = useCannedApi()

const ACTIONS = ['stop', 'start', 'pause', 'resume'] as const
const REACHED = { stop: 'stopped', start: 'running', pause: 'paused', resume: 'running' } as const

describe('stop, start, pause, resume', () => {
  for (const action of ACTIONS) {
    test(`${action} posts to /v1/sandboxes/{id}/${action} with no body and returns the sandbox`, async () => {
      api.reply = () => [200, wireSandbox('a b', { state: REACHED[action] })]
      const sandbox = await api.client.sandbox[action]('a b')
      const request = api.only()
      assert.equal(request.method, 'POST')
      assert.equal(request.url.pathname, `/v1/sandboxes/a%20b/${action}`)
      assert.equal(request.url.search, '')
      assert.equal(request.body.length, 0)
      assert.equal(request.headers['content-type'], undefined)
      assert.equal(sandbox.id, 'a b')
      assert.equal(sandbox.state, REACHED[action])
    })
  }

  test('the reply shows the lifecycle fields in camelCase', async () => {
    const wire = {
      state: 'stopped',
      desired_state: 'stopped',
      on_idle: 'stop',
      on_timeout: 'delete',
      auto_resume: true,
    }
    api.reply = () => [200, wireSandbox('sb1', wire)]
    const sandbox = await api.client.sandbox.stop('sb1')
    assert.deepEqual(
      [sandbox.state, sandbox.desiredState, sandbox.onIdle, sandbox.onTimeout, sandbox.autoResume],
      ['stopped', 'stopped', 'stop', 'delete', true],
    )
  })

  test('a server that does not send them leaves the fields absent', async () => {
    api.reply = () => [200, wireSandbox('sb1')]
    const sandbox = await api.client.sandbox.get('sb1')
    assert.equal('onIdle' in sandbox || 'autoResume' in sandbox, false)
  })

  test('each waits up to createTimeoutMs, not the ordinary request timeout', async () => {
    const stopped: CannedReply = [200, wireSandbox('sb1', { state: 'stopped' })]
    const options = { timeoutMs: 100, createTimeoutMs: 2000 }
    await withLateReplies(stopped, 300, options, async (patient) => {
      for (const action of ACTIONS) assert.equal((await patient.sandbox[action]('sb1')).id, 'sb1')
      await assert.rejects(
        patient.sandbox.stop('sb1', { timeoutMs: 50 }),
        (error: unknown) => error instanceof WorkspaceError && error.details.reason === 'timeout',
      )
    })
  })

  test('an unknown sandbox is SandboxNotFoundError', async () => {
    api.reply = () => [404, 2001]
    for (const action of ACTIONS) {
      await assert.rejects(api.client.sandbox[action]('gone'), SandboxNotFoundError)
    }
  })

  test('pausing a stopped sandbox is a WorkspaceError with code 2002 and status 409', async () => {
    api.reply = () => [409, 2002]
    await assert.rejects(api.client.sandbox.pause('sb1'), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.constructor, WorkspaceError)
      assert.deepEqual([error.code, error.status], [2002, 409])
      return true
    })
  })
})

describe('create with lifecycle options', () => {
  test('onIdle, onTimeout and autoResume go out in snake_case', async () => {
    api.reply = () => [201, wireSandbox('sb1')]
    await api.client.sandbox.create({
      workspaceId: 'ws1',
      onIdle: 'pause',
      onTimeout: 'stop',
      autoResume: false,
    })
    assert.deepEqual(JSON.parse(api.only().body.toString()), {
      workspace_id: 'ws1',
      on_idle: 'pause',
      on_timeout: 'stop',
      auto_resume: false,
    })
  })
})

describe('waitForState through pause and resume', () => {
  function states(...sequence: string[]) {
    let call = 0
    api.reply = () => [
      200,
      wireSandbox('s1', { state: sequence[Math.min(call++, sequence.length - 1)] }),
    ]
  }

  test('waits through pausing to paused, and through resuming to running', async () => {
    states('pausing', 'paused')
    assert.equal(
      (await api.client.sandbox.waitForState('s1', 'paused', { intervalMs: 10 })).state,
      'paused',
    )
    assert.equal(api.server.requests.length, 2)
    api.server.requests.length = 0
    states('resuming', 'resuming', 'running')
    const running = await api.client.sandbox.waitForState('s1', 'running', { intervalMs: 10 })
    assert.equal(running.state, 'running')
    assert.equal(api.server.requests.length, 3)
  })

  test('landing in error while waiting for stopped throws 2002', async () => {
    states('stopping', 'error')
    await assert.rejects(
      api.client.sandbox.waitForState('s1', 'stopped', { intervalMs: 10 }),
      (error: unknown) =>
        error instanceof WorkspaceError && /while waiting for stopped/.test(error.message),
    )
  })
})
