import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SandboxNotFoundError, WorkspaceError, type WorkspaceClient } from '../src/index.js'
import { LIVE_TEMPLATE, liveClient, skipLive } from './support/live.js'

/** Starts `sleep 1000` and leaves it running; its pid. */
async function startSleeper(client: WorkspaceClient, sandboxId: string): Promise<number> {
  const sleeper = await client.process.start(sandboxId, 'sleep', {
    args: ['1000'],
    timeoutMs: 900_000,
  })
  sleeper.disconnect()
  return sleeper.pid
}

async function runningPids(client: WorkspaceClient, sandboxId: string): Promise<number[]> {
  const processes = await client.process.list(sandboxId)
  return processes.filter((p) => p.state === 'running').map((p) => p.pid)
}

/** Asserts the call is refused with 409 code 2002 (the sandbox does not run). */
async function refusedNotRunning(call: Promise<unknown>): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof WorkspaceError)
    assert.deepEqual([error.code, error.status], [2002, 409])
    return true
  })
}

describe('live: sandbox stop, start, pause, resume', { skip: skipLive }, () => {
  const client = liveClient()
  let workspaceId = ''

  before(async () => {
    workspaceId = (await client.workspace.create({ name: 'sdk-live-lifecycle' })).id
  })
  after(async () => {
    for (const sandbox of await client.sandbox.list({ workspaceId }).catch(() => [])) {
      await client.sandbox.delete(sandbox.id, { force: true }).catch(() => undefined)
    }
    await client.workspace.delete(workspaceId).catch(() => undefined)
    client.close()
  })

  test('stop keeps the root filesystem and workspace; start runs it again', async () => {
    const sb = await client.sandbox.create({
      workspaceId,
      template: LIVE_TEMPLATE,
      autoResume: false,
    })
    await client.process.shell(sb.id, 'echo root-fs > /root/marker')
    await startSleeper(client, sb.id)

    const stopped = await client.sandbox.stop(sb.id)
    assert.deepEqual([stopped.id, stopped.state, stopped.autoResume], [sb.id, 'stopped', false])
    assert.equal((await client.sandbox.stop(sb.id)).state, 'stopped')
    await refusedNotRunning(client.process.run(sb.id, 'true'))
    await refusedNotRunning(client.sandbox.pause(sb.id))

    const started = await client.sandbox.start(sb.id)
    assert.deepEqual([started.id, started.state], [sb.id, 'running'])
    assert.equal((await client.sandbox.start(sb.id)).state, 'running')
    assert.equal(await client.process.exec(sb.id, 'cat', '/root/marker'), 'root-fs\n')
    assert.deepEqual(await runningPids(client, sb.id), [])
  })

  test('pause freezes and resume thaws, processes kept; resume starts a stopped one', async () => {
    const sb = await client.sandbox.create({
      workspaceId,
      template: LIVE_TEMPLATE,
      autoResume: false,
    })
    const pid = await startSleeper(client, sb.id)

    assert.equal((await client.sandbox.pause(sb.id)).state, 'paused')
    assert.equal((await client.sandbox.pause(sb.id)).state, 'paused')
    await refusedNotRunning(client.process.run(sb.id, 'true'))
    assert.equal((await client.sandbox.resume(sb.id)).state, 'running')
    assert.ok((await runningPids(client, sb.id)).includes(pid))

    assert.equal((await client.sandbox.stop(sb.id)).state, 'stopped')
    assert.equal((await client.sandbox.resume(sb.id)).state, 'running')
    assert.equal(await client.process.exec(sb.id, 'echo', 'again'), 'again\n')
  })

  test('autoResume: a call that needs it running brings a paused sandbox back', async () => {
    const sb = await client.sandbox.create({
      workspaceId,
      template: LIVE_TEMPLATE,
      onIdle: 'pause',
      onTimeout: 'stop',
    })
    assert.deepEqual([sb.onIdle, sb.onTimeout, sb.autoResume], ['pause', 'stop', true])
    await client.sandbox.pause(sb.id)
    assert.equal(await client.process.exec(sb.id, 'echo', 'resumed'), 'resumed\n')
    assert.equal((await client.sandbox.get(sb.id)).state, 'running')
  })

  test('an unknown sandbox is SandboxNotFoundError', async () => {
    for (const action of ['stop', 'start', 'pause', 'resume'] as const) {
      await assert.rejects(client.sandbox[action]('no-such-sandbox'), SandboxNotFoundError)
    }
  })
})
