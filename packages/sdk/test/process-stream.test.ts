import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { describe, test } from 'node:test'
import {
  SandboxNotFoundError,
  WorkspaceClient,
  WorkspaceError,
  type ProcessEvent,
} from '../src/index.js'
import {
  replyError,
  replyJson,
  sseFrame,
  startEventStream,
  startTestServer,
  type Handler,
  type TestServer,
} from './support/test-server.js'

async function withServer(
  handler: Handler,
  run: (client: WorkspaceClient, server: TestServer) => Promise<void>,
  options: { timeoutMs?: number; execTimeoutMs?: number } = {},
): Promise<void> {
  const server = await startTestServer(handler)
  const client = new WorkspaceClient({ apiUrl: server.url, env: {}, ...options })
  try {
    await run(client, server)
  } finally {
    client.close()
    await server.close()
  }
}

async function collect(events: AsyncIterable<ProcessEvent>): Promise<ProcessEvent[]> {
  const seen: ProcessEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

/** Resolves when the server side of the response is closed (the client went away). */
function closed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => response.on('close', resolve))
}

const wholeRun =
  'id: 1\nevent: start\ndata: {"pid":7}\n\n' +
  ': keep-alive\n\n' +
  'id: 2\r\nevent: stdout\r\ndata: {"data":"hi\\n"}\r\n\r\n' +
  'id: 3\nevent: stderr\ndata: {"data":"oops","dropped":12}\n\n' +
  'id: 4\nevent: progress\ndata: {"future":true}\n\n' +
  'id: 5\nevent: exit\ndata: {"code":3,"timed_out":false}\n\n'

describe('stream', () => {
  test('yields typed events with their sequence numbers and asks for SSE', async () => {
    const handler: Handler = (_req, res) => {
      startEventStream(res)
      res.end(wholeRun)
    }
    await withServer(handler, async (client, server) => {
      const events = await collect(
        client.process.stream('sb1', 'sh', { args: ['-c', 'x'], stdin: true, timeoutMs: 2500 }),
      )
      assert.deepEqual(events, [
        { type: 'start', pid: 7, seq: 1 },
        { type: 'stdout', data: 'hi\n', seq: 2 },
        { type: 'stderr', data: 'oops', seq: 3, dropped: 12 },
        { type: 'exit', code: 3, timedOut: false, seq: 5 },
      ])
      const request = server.requests[0]
      assert.equal(request?.method, 'POST')
      assert.equal(request?.url.pathname, '/v1/sandboxes/sb1/processes')
      assert.equal(request?.headers.accept, 'text/event-stream')
      assert.deepEqual(JSON.parse(request?.body.toString() ?? ''), {
        cmd: 'sh',
        args: ['-c', 'x'],
        timeout: 2.5,
        stdin: true,
      })
    })
  })

  test('without timeoutMs no command timeout is sent', async () => {
    const handler: Handler = (_req, res) => {
      startEventStream(res)
      res.end(sseFrame('exit', { code: 0, timed_out: false }))
    }
    await withServer(handler, async (client, server) => {
      await collect(client.process.stream('sb1', 'true'))
      assert.deepEqual(JSON.parse(server.requests[0]?.body.toString() ?? ''), { cmd: 'true' })
    })
  })

  test('the iteration ends at exit even if the server keeps the stream open', async () => {
    let gone: Promise<void> = Promise.resolve()
    const handler: Handler = (_req, res) => {
      gone = closed(res)
      startEventStream(res)
      res.write(
        sseFrame('start', { pid: 1 }, 1) + sseFrame('exit', { code: 0, timed_out: true }, 2),
      )
    }
    await withServer(handler, async (client) => {
      const events = await collect(client.process.stream('sb1', 'sleep'))
      assert.deepEqual(events.at(-1), { type: 'exit', code: 0, timedOut: true, seq: 2 })
      await gone
    })
  })

  test('an error event is yielded and ends the iteration', async () => {
    const handler: Handler = (_req, res) => {
      startEventStream(res)
      res.end(sseFrame('error', { message: 'nope: command not found' }))
    }
    await withServer(handler, async (client) => {
      assert.deepEqual(await collect(client.process.stream('sb1', 'nope')), [
        { type: 'error', message: 'nope: command not found' },
      ])
    })
  })

  test('an HTTP error is thrown from the loop', async () => {
    await withServer(
      (_req, res) => replyError(res, 404, 2001),
      async (client) => {
        await assert.rejects(collect(client.process.stream('gone', 'ls')), SandboxNotFoundError)
      },
    )
  })

  test('a reply that is not an event stream is an invalid response', async () => {
    await withServer(
      (_req, res) => replyJson(res, 200, { pid: 1, exit_code: 0 }),
      async (client) => {
        await assert.rejects(collect(client.process.stream('sb1', 'ls')), (error) => {
          assert.ok(error instanceof WorkspaceError)
          assert.equal(error.details.reason, 'invalid-response')
          assert.match(error.message, /application\/json, not an event stream/)
          return true
        })
      },
    )
  })

  test('a stream cut before exit throws a network error saying where to resume', async () => {
    const handler: Handler = (_req, res) => {
      startEventStream(res)
      res.end(
        sseFrame('start', { pid: 7 }, 1) + sseFrame('stdout', { data: 'a' }, 2) + 'data: half',
      )
    }
    await withServer(handler, async (client) => {
      const seen: ProcessEvent[] = []
      await assert.rejects(
        (async () => {
          for await (const event of client.process.stream('sb1', 'ls')) seen.push(event)
        })(),
        (error) => {
          assert.ok(error instanceof WorkspaceError)
          assert.equal(error.details.reason, 'network')
          assert.equal(error.details.lastSeq, 2)
          return true
        },
      )
      assert.equal(seen.length, 2)
    })
  })

  test('break closes the HTTP stream', async () => {
    let gone: Promise<void> = Promise.resolve()
    const handler: Handler = (_req, res) => {
      gone = closed(res)
      startEventStream(res)
      res.write(sseFrame('start', { pid: 7 }, 1))
    }
    await withServer(handler, async (client) => {
      for await (const event of client.process.stream('sb1', 'sleep', { args: ['100'] })) {
        assert.equal(event.type, 'start')
        break
      }
      await gone
    })
  })

  test('aborting the signal closes the stream and throws an aborted error', async () => {
    let gone: Promise<void> = Promise.resolve()
    const handler: Handler = (_req, res) => {
      gone = closed(res)
      startEventStream(res)
      res.write(sseFrame('start', { pid: 7 }, 1))
    }
    await withServer(handler, async (client) => {
      const controller = new AbortController()
      const events = client.process.stream('sb1', 'sleep', { signal: controller.signal })
      await assert.rejects(
        (async () => {
          for await (const event of events) if (event.type === 'start') controller.abort()
        })(),
        (error) => error instanceof WorkspaceError && error.details.reason === 'aborted',
      )
      await gone
    })
  })

  test('silence longer than the idle limit is a timeout; keep-alive comments count as activity', async () => {
    const handler: Handler = (req, res) => {
      startEventStream(res)
      res.write(sseFrame('start', { pid: 7 }, 1))
      // Attaching after event 1 finds a silent process.
      if (req.url.searchParams.get('after') === '1') return
      const keepalive = setInterval(() => res.write(': keep-alive\n\n'), 30)
      setTimeout(() => {
        clearInterval(keepalive)
        res.end(sseFrame('exit', { code: 0, timed_out: false }, 2))
      }, 300)
    }
    await withServer(
      handler,
      async (client) => {
        const events = await collect(client.process.attach('sb1', 7))
        assert.equal(events.at(-1)?.type, 'exit')
        await assert.rejects(
          collect(client.process.attach('sb1', 7, { after: 1, timeoutMs: 100 })),
          (error) => error instanceof WorkspaceError && error.details.reason === 'timeout',
        )
      },
      { execTimeoutMs: 100 },
    )
  })
})

describe('attach', () => {
  test('GETs the output of a pid after a sequence number', async () => {
    const handler: Handler = (_req, res) => {
      startEventStream(res)
      res.end(
        sseFrame('stdout', { data: 'b', dropped: 5 }, 4) +
          sseFrame('exit', { code: 0, timed_out: false }, 5),
      )
    }
    await withServer(handler, async (client, server) => {
      const events = await collect(client.process.attach('sb1', 7, { after: 3 }))
      assert.deepEqual(events, [
        { type: 'stdout', data: 'b', seq: 4, dropped: 5 },
        { type: 'exit', code: 0, timedOut: false, seq: 5 },
      ])
      const request = server.requests[0]
      assert.equal(request?.method, 'GET')
      assert.equal(request?.url.pathname, '/v1/sandboxes/sb1/processes/7/output')
      assert.equal(request?.url.search, '?after=3')
      assert.equal(request?.headers.accept, 'text/event-stream')
    })
  })
})
