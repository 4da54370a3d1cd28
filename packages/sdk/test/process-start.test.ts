import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { describe, test } from 'node:test'
import {
  AgentNotConnectedError,
  ProcessTimeoutError,
  WorkspaceClient,
  WorkspaceError,
} from '../src/index.js'
import {
  sseFrame,
  startEventStream,
  startTestServer,
  type Handler,
  type TestServer,
} from './support/test-server.js'

async function withServer(
  handler: Handler,
  run: (client: WorkspaceClient, server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(handler)
  const client = new WorkspaceClient({ apiUrl: server.url, env: {} })
  try {
    await run(client, server)
  } finally {
    client.close()
    await server.close()
  }
}

/** Answers the process POST with `frames`; signal and stdin calls with 204. */
function processServer(frames: string, keepOpen = false): Handler {
  return (req, res) => {
    if (!req.url.pathname.endsWith('/processes')) return void res.writeHead(204).end()
    startEventStream(res)
    if (keepOpen) res.write(frames)
    else res.end(frames)
  }
}

describe('start', () => {
  test('resolves at start with the pid; callbacks get output; wait() gives the result', async () => {
    const frames =
      sseFrame('start', { pid: 7 }, 1) +
      sseFrame('stdout', { data: 'a' }, 2) +
      sseFrame('stderr', { data: 'e' }, 3) +
      sseFrame('stdout', { data: 'b' }, 4) +
      sseFrame('exit', { code: 4, timed_out: false }, 5)
    await withServer(processServer(frames), async (client) => {
      const out: string[] = []
      const err: string[] = []
      const handle = await client.process.start('sb1', 'sh', {
        args: ['-c', 'x'],
        onStdout: (data) => out.push(data),
        onStderr: (data) => err.push(data),
      })
      assert.equal(handle.pid, 7)
      assert.deepEqual(await handle.wait(), {
        pid: 7,
        exitCode: 4,
        stdout: 'ab',
        stderr: 'e',
        truncated: false,
      })
      assert.deepEqual([out, err], [['a', 'b'], ['e']])
    })
  })

  test('output the server dropped marks the result truncated', async () => {
    const frames =
      sseFrame('start', { pid: 7 }, 1) +
      sseFrame('stdout', { data: 'tail', dropped: 4096 }, 9) +
      sseFrame('exit', { code: 0, timed_out: false }, 10)
    await withServer(processServer(frames), async (client) => {
      const handle = await client.process.start('sb1', 'yes')
      const result = await handle.wait()
      assert.deepEqual([result.stdout, result.truncated], ['tail', true])
    })
  })

  test('a timed-out exit rejects wait() with ProcessTimeoutError carrying the output', async () => {
    const frames =
      sseFrame('start', { pid: 7 }, 1) +
      sseFrame('stdout', { data: 'partial' }, 2) +
      sseFrame('exit', { code: 137, timed_out: true }, 3)
    await withServer(processServer(frames), async (client) => {
      const handle = await client.process.start('sb1', 'sleep', { timeoutMs: 100 })
      await assert.rejects(handle.wait(), (error) => {
        assert.ok(error instanceof ProcessTimeoutError)
        assert.equal(error.code, 3002)
        assert.deepEqual(
          [error.pid, error.exitCode, error.stdout, error.stderr],
          [7, 137, 'partial', ''],
        )
        return true
      })
    })
  })

  test('a command that cannot start rejects with code 1001 and the reason', async () => {
    const frames = sseFrame('error', { message: 'nope: command not found' })
    await withServer(processServer(frames), async (client) => {
      await assert.rejects(client.process.start('sb1', 'nope'), (error) => {
        assert.ok(error instanceof WorkspaceError)
        assert.deepEqual(
          [error.code, error.status, error.message],
          [1001, 0, 'nope: command not found'],
        )
        return true
      })
    })
  })

  test('an error after start rejects wait() with AgentNotConnectedError', async () => {
    const frames =
      sseFrame('start', { pid: 7 }, 1) + sseFrame('error', { message: 'lost the agent: EPIPE' })
    await withServer(processServer(frames), async (client) => {
      const handle = await client.process.start('sb1', 'sleep')
      await assert.rejects(handle.wait(), AgentNotConnectedError)
    })
  })

  test('kill and sendStdin reach the process; disconnect stops following it', async () => {
    let response: ServerResponse | undefined
    const handler: Handler = (req, res) => {
      if (req.url.pathname.endsWith('/processes')) response = res
      processServer(sseFrame('start', { pid: 9 }, 1), true)(req, res)
    }
    await withServer(handler, async (client, server) => {
      const handle = await client.process.start('sb1', 'cat', { stdin: true })
      await handle.sendStdin('hello', { eof: true })
      await handle.kill()
      await handle.kill(2)
      const calls = server.requests
        .slice(1)
        .map((r) => [r.url.pathname + r.url.search, r.body.toString()])
      assert.deepEqual(calls, [
        ['/v1/sandboxes/sb1/processes/9/stdin?eof=true', 'hello'],
        ['/v1/sandboxes/sb1/processes/9/signal', '{"signal":15}'],
        ['/v1/sandboxes/sb1/processes/9/signal', '{"signal":2}'],
      ])
      const gone = new Promise((resolve) => response?.on('close', resolve))
      handle.disconnect()
      await assert.rejects(handle.wait(), (error) => {
        return error instanceof WorkspaceError && error.details.reason === 'aborted'
      })
      await gone
    })
  })
})
