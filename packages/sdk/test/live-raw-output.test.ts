import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import type { WorkspaceError } from '../src/index.js'
import { type ProcessEvent } from '../src/index.js'
import { LIVE_TEMPLATE, liveClient, skipLive } from './support/live.js'

async function sha256(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of stream) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { hex: hash.digest('hex'), bytes }
}

describe('live: raw stdout', { skip: skipLive }, () => {
  const client = liveClient()
  let workspaceId = ''
  let sb = ''

  before(async () => {
    workspaceId = (await client.workspace.create({ name: 'sdk-live-raw-output' })).id
    sb = (await client.sandbox.create({ workspaceId, template: LIVE_TEMPLATE })).id
  })
  after(async () => {
    await client.sandbox.delete(sb, { force: true }).catch(() => undefined)
    await client.workspace.delete(workspaceId).catch(() => undefined)
    client.close()
  })

  test('random binary data comes through byte for byte, with the exit code', async () => {
    const output = await client.process.streamStdout(sb, 'sh', {
      args: ['-c', 'head -c 8388608 /dev/urandom | tee /tmp/raw-sdk'],
    })
    const got = await sha256(output.stdout)
    assert.deepEqual(await output.exit, { exitCode: 0, timedOut: false })
    assert.equal(got.bytes, 8 * 2 ** 20)
    const written = await client.process.exec(sb, 'sha256sum', '/tmp/raw-sdk')
    assert.equal(got.hex, written.split(' ')[0])
  })

  test('a failing command: its code, and its stderr in the events', async () => {
    const output = await client.process.streamStdout(sb, 'sh', {
      args: ['-c', 'printf partial; echo oops >&2; exit 4'],
    })
    const got = await sha256(output.stdout)
    assert.equal(got.bytes, 'partial'.length)
    assert.equal((await output.exit).exitCode, 4)
    const events: ProcessEvent[] = []
    for await (const event of client.process.attach(sb, output.pid)) events.push(event)
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'stderr', 'exit'],
    )
  })

  test('destroying the stream kills a process that never ends', async () => {
    const output = await client.process.streamStdout(sb, 'yes')
    for await (const chunk of output.stdout) {
      assert.ok((chunk as Buffer).length > 0)
      break // leaving the loop destroys the stream
    }
    await assert.rejects(output.exit)
    // The kill travels through the server and the agent: ask until it shows.
    for (;;) {
      const info = (await client.process.list(sb)).find((p) => p.pid === output.pid)
      assert.ok(info)
      if (info.state === 'exited') {
        assert.equal(info.exitCode, 137)
        break
      }
    }
  })

  test('a command that cannot start is a 400 with the reason', async () => {
    await assert.rejects(
      client.process.streamStdout(sb, 'no-such-command'),
      (error: WorkspaceError) => error.code === 1001 && /no-such-command/.test(error.message),
    )
  })
})
