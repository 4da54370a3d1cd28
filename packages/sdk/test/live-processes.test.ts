import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  CommandExitError,
  ProcessTimeoutError,
  WorkspaceError,
  type ProcessEvent,
} from '../src/index.js'
import { LIVE_TEMPLATE, liveClient, skipLive } from './support/live.js'

async function collect(events: AsyncIterable<ProcessEvent>): Promise<ProcessEvent[]> {
  const seen: ProcessEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

function text(events: ProcessEvent[], type: 'stdout' | 'stderr'): string {
  return events.map((e) => (e.type === type ? e.data : '')).join('')
}

describe('live: processes', { skip: skipLive }, () => {
  const client = liveClient()
  let workspaceId = ''
  let sb = ''

  before(async () => {
    workspaceId = (await client.workspace.create({ name: 'sdk-live-processes' })).id
    await client.workspace.writeFile(workspaceId, 'notes/hello.txt', 'from the workspace\n')
    const sandbox = await client.sandbox.create({
      workspaceId,
      template: LIVE_TEMPLATE,
      env: { SANDBOX_VAR: 'sandbox' },
    })
    sb = sandbox.id
  })
  after(async () => {
    await client.sandbox.delete(sb, { force: true }).catch(() => undefined)
    await client.workspace.delete(workspaceId).catch(() => undefined)
    client.close()
  })

  test('run: stdout, stderr and the exit code of a failing command', async () => {
    const result = await client.process.run(sb, 'sh', {
      args: ['-c', 'echo out; echo err >&2; exit 3'],
    })
    assert.deepEqual(
      [result.exitCode, result.stdout, result.stderr, result.truncated],
      [3, 'out\n', 'err\n', false],
    )
    assert.ok(result.pid > 0)
  })

  test('run: arguments are not split by a shell; UTF-8 survives', async () => {
    const result = await client.process.run(sb, 'echo', { args: ['a  b', '$HOME', 'é€😀'] })
    assert.equal(result.stdout, 'a  b $HOME é€😀\n')
  })

  test('run: env, cwd, sandbox env and the workspace as default cwd', async () => {
    const here = await client.process.run(sb, 'sh', {
      args: ['-c', 'pwd; cat notes/hello.txt; echo "$SANDBOX_VAR $CALL_VAR"'],
      env: { CALL_VAR: 'call' },
    })
    assert.equal(here.stdout, '/workspace\nfrom the workspace\nsandbox call\n')
    const there = await client.process.run(sb, 'pwd', { cwd: '/tmp' })
    assert.equal(there.stdout, '/tmp\n')
  })

  test('run: a missing command exits 127; stdin text reaches the command', async () => {
    const missing = await client.process.run(sb, 'no-such-command-here')
    assert.equal(missing.exitCode, 127)
    assert.notEqual(missing.stderr, '')
    const fed = await client.process.run(sb, 'cat', { stdin: 'fed through stdin' })
    assert.equal(fed.stdout, 'fed through stdin')
  })

  test('run past its timeout is ProcessTimeoutError carrying the output', async () => {
    const started = Date.now()
    await assert.rejects(
      client.process.run(sb, 'sh', { args: ['-c', 'echo before; sleep 30'], timeoutMs: 1000 }),
      (error: unknown) => {
        assert.ok(error instanceof ProcessTimeoutError)
        assert.deepEqual([error.code, error.status], [3002, 408])
        assert.equal(error.stdout, 'before\n')
        assert.ok(error.pid > 0)
        assert.notEqual(error.exitCode, 0)
        return true
      },
    )
    assert.ok(Date.now() - started < 15_000)
  })

  test('WM_EXEC_TIMEOUT bounds a command given no timeout of its own', async () => {
    const bounded = liveClient({ WM_EXEC_TIMEOUT: '1' })
    const started = Date.now()
    try {
      await assert.rejects(
        bounded.process.run(sb, 'sh', { args: ['-c', 'echo started; sleep 30'] }),
        (error: unknown) => error instanceof ProcessTimeoutError && error.stdout === 'started\n',
      )
    } finally {
      bounded.close()
    }
    assert.ok(Date.now() - started < 15_000) // the server stopped it, not the 30 s sleep
  })

  test('exec returns stdout, or throws CommandExitError with the output', async () => {
    assert.equal(await client.process.exec(sb, 'cat', 'notes/hello.txt'), 'from the workspace\n')
    await assert.rejects(client.process.exec(sb, 'cat', 'missing.txt'), (error: unknown) => {
      assert.ok(error instanceof CommandExitError)
      assert.equal(error.exitCode, 1)
      assert.match(error.stderr, /missing\.txt/)
      return true
    })
  })

  test('shell runs a script with pipes, env and cwd', async () => {
    const result = await client.process.shell(sb, 'for i in 1 2 3; do echo "$P$i"; done | wc -l', {
      env: { P: 'item' },
      cwd: '/tmp',
    })
    assert.deepEqual([result.exitCode, result.stdout.trim()], [0, '3'])
  })

  test('stream: start, output in order, exit', async () => {
    const events = await collect(
      client.process.stream(sb, 'sh', {
        args: ['-c', 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; exit 5'],
      }),
    )
    assert.equal(events[0]?.type, 'start')
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'exit', code: 5, timedOut: false })
    assert.equal(text(events, 'stdout'), 'one\nthree\n')
    assert.equal(text(events, 'stderr'), 'two\n')
    const seqs = events.map((e) => e.seq ?? -1)
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    )
  })

  test('stream: a timeout ends in an exit event marked timedOut', async () => {
    const events = await collect(
      client.process.stream(sb, 'sleep', { args: ['30'], timeoutMs: 500 }),
    )
    const exit = events.at(-1)
    assert.equal(exit?.type, 'exit')
    assert.ok(exit?.type === 'exit' && exit.timedOut)
  })

  test('stream: a missing command is an error event', async () => {
    const events = await collect(client.process.stream(sb, 'no-such-command-here'))
    assert.equal(events.at(-1)?.type, 'error')
  })

  test('stream with stdin: true, then sendStdin to cat with eof', async () => {
    const events: ProcessEvent[] = []
    for await (const event of client.process.stream(sb, 'cat', { stdin: true })) {
      events.push(event)
      if (event.type === 'start') {
        await client.process.sendStdin(sb, event.pid, 'line one\n')
        await client.process.sendStdin(sb, event.pid, new TextEncoder().encode('line two\n'), {
          eof: true,
        })
      }
    }
    assert.equal(text(events, 'stdout'), 'line one\nline two\n')
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'exit', code: 0 })
  })

  test('start: callbacks, sendStdin and wait', async () => {
    const out: string[] = []
    const handle = await client.process.start(sb, 'cat', {
      stdin: true,
      onStdout: (data) => out.push(data),
    })
    assert.ok(handle.pid > 0)
    await handle.sendStdin('through the handle', { eof: true })
    const result = await handle.wait()
    assert.deepEqual([result.exitCode, result.stdout], [0, 'through the handle'])
    assert.equal(out.join(''), 'through the handle')
  })

  test('leaving a stream keeps the process running; attach replays and follows it', async () => {
    let pid = 0
    for await (const event of client.process.stream(sb, 'sh', {
      args: ['-c', 'echo first; sleep 1; echo second'],
    })) {
      if (event.type === 'start') pid = event.pid
      if (event.type === 'stdout') break
    }
    const running = await client.process.list(sb)
    assert.equal(running.find((p) => p.pid === pid)?.state, 'running')

    const replay = await collect(client.process.attach(sb, pid))
    assert.equal(text(replay, 'stdout'), 'first\nsecond\n')
    assert.deepEqual(replay.at(-1), { ...replay.at(-1), type: 'exit', code: 0 })

    const firstOutput = replay.find((e) => e.type === 'stdout')
    const rest = await collect(client.process.attach(sb, pid, { after: firstOutput?.seq }))
    assert.equal(text(rest, 'stdout'), 'second\n')

    const ended = (await client.process.list(sb)).find((p) => p.pid === pid)
    assert.deepEqual([ended?.state, ended?.exitCode, ended?.cmd], ['exited', 0, 'sh'])
  })

  test('kill sends a signal to the process group', async () => {
    const handle = await client.process.start(sb, 'sh', { args: ['-c', 'sleep 60 & wait'] })
    await client.process.kill(sb, handle.pid)
    const result = await handle.wait()
    assert.equal(result.exitCode, 128 + 15)
    await assert.rejects(client.process.kill(sb, 999_999), (error: unknown) => {
      return error instanceof WorkspaceError && error.code === 3001
    })
  })
})
