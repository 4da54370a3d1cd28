import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import {
  CommandExitError,
  ProcessTimeoutError,
  SandboxNotFoundError,
  WorkspaceClient,
  WorkspaceError,
} from '../src/index.js'
import { useCannedApi, withLateReplies } from './support/test-server.js'

const api = useCannedApi({ execTimeoutMs: 45_000 })

function sentJson(): unknown {
  return JSON.parse(api.only().body.toString())
}

const wireResult = (extra: Record<string, unknown> = {}) => ({
  pid: 42,
  exit_code: 0,
  stdout: 'out\n',
  stderr: '',
  truncated: false,
  ...extra,
})

describe('run', () => {
  test('sends the command with the default timeout in seconds and returns camelCase', async () => {
    api.reply = () => [200, wireResult({ exit_code: 3, stderr: 'err\n', truncated: true })]
    const result = await api.client.process.run('sb1', 'ls', {
      args: ['-la', '/tmp'],
      env: { LC_ALL: 'C' },
      cwd: '/workspace/src',
      stdin: 'input',
    })
    assert.deepEqual(result, {
      pid: 42,
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
      truncated: true,
    })
    const request = api.only()
    assert.equal(request.method, 'POST')
    assert.equal(request.url.pathname, '/v1/sandboxes/sb1/processes')
    assert.match(String(request.headers.accept), /application\/json/)
    assert.deepEqual(JSON.parse(request.body.toString()), {
      cmd: 'ls',
      args: ['-la', '/tmp'],
      env: { LC_ALL: 'C' },
      cwd: '/workspace/src',
      timeout: 45,
      stdin: 'input',
    })
  })

  test('timeoutMs is sent in seconds, fractions kept', async () => {
    api.reply = () => [200, wireResult()]
    await api.client.process.run('sb1', 'sleep', { args: ['1'], timeoutMs: 1500 })
    assert.deepEqual(sentJson(), { cmd: 'sleep', args: ['1'], timeout: 1.5 })
  })

  test('the HTTP request waits for the command timeout plus slack', async () => {
    await withLateReplies([200, wireResult()], 300, { timeoutMs: 50 }, async (impatient) => {
      const result = await impatient.process.run('sb1', 'sleep', { timeoutMs: 100 })
      assert.equal(result.exitCode, 0)
    })
  })

  test('408 code 3002 is ProcessTimeoutError carrying the output so far', async () => {
    api.reply = () => [
      408,
      {
        error: {
          code: 3002,
          message: 'sleep did not finish within 1 s and was killed',
          details: { pid: 9, exit_code: 137, stdout: 'partial', stderr: 'warn', truncated: false },
        },
      },
    ]
    await assert.rejects(api.client.process.run('sb1', 'sleep', { timeoutMs: 1000 }), (error) => {
      assert.ok(error instanceof ProcessTimeoutError)
      assert.equal(error.code, 3002)
      assert.equal(error.status, 408)
      assert.deepEqual(
        [error.pid, error.exitCode, error.stdout, error.stderr],
        [9, 137, 'partial', 'warn'],
      )
      return true
    })
  })

  test('errors map as everywhere else', async () => {
    api.reply = () => [404, 2001]
    await assert.rejects(api.client.process.run('gone', 'ls'), SandboxNotFoundError)
    api.reply = () => [409, 2002]
    await assert.rejects(api.client.process.run('stopped', 'ls'), (error) => {
      return error instanceof WorkspaceError && error.code === 2002 && error.status === 409
    })
  })
})

describe('exec and shell', () => {
  test('exec returns stdout of a command that succeeded', async () => {
    api.reply = () => [200, wireResult({ stdout: 'host\n' })]
    assert.equal(await api.client.process.exec('sb1', 'cat', '/etc/hostname'), 'host\n')
    assert.deepEqual(sentJson(), { cmd: 'cat', args: ['/etc/hostname'], timeout: 45 })
  })

  test('exec of a failing command throws CommandExitError with its output and exit code', async () => {
    api.reply = () => [200, wireResult({ exit_code: 2, stdout: 'some', stderr: 'no such file\n' })]
    await assert.rejects(api.client.process.exec('sb1', 'cat', 'missing'), (error) => {
      assert.ok(error instanceof CommandExitError)
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.message, 'cat missing exited with code 2: no such file')
      assert.deepEqual(
        [error.pid, error.exitCode, error.stdout, error.stderr],
        [42, 2, 'some', 'no such file\n'],
      )
      assert.equal(error.details.reason, 'command-failed')
      return true
    })
  })

  test('shell runs /bin/sh -c with env, cwd and timeout', async () => {
    api.reply = () => [200, wireResult()]
    await api.client.process.shell('sb1', 'echo $A | wc -c', {
      env: { A: 'x' },
      cwd: '/tmp',
      timeoutMs: 2000,
    })
    assert.deepEqual(sentJson(), {
      cmd: '/bin/sh',
      args: ['-c', 'echo $A | wc -c'],
      env: { A: 'x' },
      cwd: '/tmp',
      timeout: 2,
    })
  })
})

describe('list, kill and sendStdin', () => {
  test('list returns camelCase process infos', async () => {
    api.reply = () => [
      200,
      {
        processes: [
          {
            pid: 7,
            cmd: 'sleep',
            args: ['10'],
            state: 'exited',
            exit_code: 137,
            timed_out: true,
            started_at: '2026-11-24T10:00:00.000Z',
            ended_at: '2026-11-24T10:00:01.000Z',
          },
        ],
      },
    ]
    assert.deepEqual(await api.client.process.list('sb1'), [
      {
        pid: 7,
        cmd: 'sleep',
        args: ['10'],
        state: 'exited',
        exitCode: 137,
        timedOut: true,
        startedAt: '2026-11-24T10:00:00.000Z',
        endedAt: '2026-11-24T10:00:01.000Z',
      },
    ])
    assert.equal(api.only().url.pathname, '/v1/sandboxes/sb1/processes')
  })

  test('kill sends SIGTERM by default, or the signal given', async () => {
    api.reply = () => [204, null]
    await api.client.process.kill('sb1', 7)
    await api.client.process.kill('sb1', 7, 9)
    const sent = api.server.requests.map((r) => [r.url.pathname, JSON.parse(r.body.toString())])
    assert.deepEqual(sent, [
      ['/v1/sandboxes/sb1/processes/7/signal', { signal: 15 }],
      ['/v1/sandboxes/sb1/processes/7/signal', { signal: 9 }],
    ])
  })

  test('kill of an unknown pid is a 3001 error', async () => {
    api.reply = () => [404, 3001]
    await assert.rejects(api.client.process.kill('sb1', 99), (error) => {
      return error instanceof WorkspaceError && error.code === 3001
    })
  })

  test('sendStdin posts text, bytes and streams raw, with eof in the query', async () => {
    api.reply = () => [204, null]
    await api.client.process.sendStdin('sb1', 7, 'héllo')
    await api.client.process.sendStdin('sb1', 7, new Uint8Array([0, 255]), { eof: false })
    await api.client.process.sendStdin(
      'sb1',
      7,
      Readable.from([Buffer.from('a'), Buffer.from('b')]),
      {
        eof: true,
      },
    )
    const sent = api.server.requests.map((r) => [
      r.url.pathname + r.url.search,
      r.headers['content-type'],
      r.body.toString('latin1'),
    ])
    assert.deepEqual(sent, [
      ['/v1/sandboxes/sb1/processes/7/stdin?eof=false', 'application/octet-stream', 'hÃ©llo'],
      ['/v1/sandboxes/sb1/processes/7/stdin?eof=false', 'application/octet-stream', '\x00\xff'],
      ['/v1/sandboxes/sb1/processes/7/stdin?eof=true', 'application/octet-stream', 'ab'],
    ])
  })

  test('sendStdin with timeoutMs: Infinity waits through a silent source', async () => {
    api.reply = () => [204, null]
    const impatient = new WorkspaceClient({ apiUrl: api.server.url, env: {}, timeoutMs: 50 })
    async function* slowSource() {
      yield Buffer.from('a')
      await new Promise((resolve) => setTimeout(resolve, 200))
      yield Buffer.from('b')
    }
    try {
      await impatient.process.sendStdin('sb1', 7, slowSource(), { timeoutMs: Infinity })
      assert.equal(api.only().body.toString(), 'ab')
    } finally {
      impatient.close()
    }
  })
})
