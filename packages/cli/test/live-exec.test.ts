import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  LIVE_TEMPLATE,
  WM_MAIN,
  liveEnv,
  runWm,
  skipLive,
  type RunOptions,
} from './support/run-wm.js'

describe('live: wm exec', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (args: string[], options: RunOptions = {}) => runWm(args, { env, ...options })
  let ws = ''
  let sb = ''

  before(async () => {
    ws = (await wm(['workspace', 'create', '--name', 'cli-live-exec'])).stdout.trim()
    const created = await wm(['sandbox', 'create', '--workspace', ws, '--template', LIVE_TEMPLATE])
    assert.equal(created.code, 0, created.stderr)
    sb = created.stdout.trim()
  })
  after(async () => {
    await wm(['sandbox', 'rm', sb, '--force'])
    await wm(['workspace', 'rm', ws])
  })

  test('stdout and stderr are streamed apart; the exit code is the command’s', async () => {
    const result = await wm(['exec', sb, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'])
    assert.deepEqual([result.code, result.stdout, result.stderr], [3, 'out\n', 'err\n'])
  })

  test('piped stdin reaches the command', async () => {
    const result = await wm(['exec', sb, '--', 'cat'], { input: 'hi\nthere é\n' })
    assert.deepEqual([result.code, result.stdout], [0, 'hi\nthere é\n'])
    const counted = await wm(['exec', sb, '--', 'wc', '-c'], { input: Buffer.alloc(300_000, 97) })
    assert.equal(counted.stdout.trim(), '300000')
  })

  test('--env and --cwd; options after -- belong to the command', async () => {
    const result = await wm(
      ['exec', sb, '--env', 'A=1', '--env', 'B=two', '--cwd', '/tmp', '--'].concat([
        'sh',
        '-c',
        'echo "$A $B"; pwd; echo "$@"',
        'sh',
        '--timeout',
        '5',
      ]),
    )
    assert.deepEqual([result.code, result.stdout], [0, '1 two\n/tmp\n--timeout 5\n'])
  })

  test('--timeout kills the command and exits 124; a missing command exits 127', async () => {
    const timedOut = await wm([
      'exec',
      sb,
      '--timeout',
      '0.5',
      '--',
      'sh',
      '-c',
      'echo a; sleep 30',
    ])
    assert.equal(timedOut.code, 124)
    assert.equal(timedOut.stdout, 'a\n')
    assert.match(timedOut.stderr, /^wm: sh ran past its timeout \(0\.5s\) and was killed\n$/)
    const missing = await wm(['exec', sb, '--', 'no-such-command-here'])
    assert.equal(missing.code, 127)
    assert.match(missing.stderr, /^wm: .*no-such-command-here/)
  })

  test('--json runs to completion and prints the result', async () => {
    const result = await wm(['--json', 'exec', sb, '--', 'sh', '-c', 'cat; echo err >&2; exit 3'], {
      input: 'piped',
    })
    assert.equal(result.code, 3, result.stderr)
    const parsed = JSON.parse(result.stdout)
    assert.deepEqual(Object.keys(parsed).sort(), [
      'exitCode',
      'pid',
      'stderr',
      'stdout',
      'truncated',
    ])
    assert.deepEqual(
      [parsed.exitCode, parsed.stdout, parsed.stderr, parsed.truncated],
      [3, 'piped', 'err\n', false],
    )
    const timedOut = await wm(['--json', 'exec', sb, '--timeout', '0.5', '--', 'sleep', '30'])
    assert.equal(timedOut.code, 124)
    assert.equal(JSON.parse(timedOut.stderr.split('\n')[1] ?? '').error.code, 3002)
  })

  test('binary stdout comes through byte for byte; --no-raw keeps the text events', async () => {
    const random = ['sh', '-c', 'head -c 1048576 /dev/urandom | tee /tmp/cli-raw; echo e >&2']
    const result = await wm(['exec', sb, '--', ...random])
    assert.deepEqual([result.code, result.stdoutBytes.length, result.stderr], [0, 1048576, 'e\n'])
    const sum = await wm(['exec', sb, '--', 'sha256sum', '/tmp/cli-raw'])
    const hex = createHash('sha256').update(result.stdoutBytes).digest('hex')
    assert.equal(sum.stdout.split(' ')[0], hex)
    const text = await wm(['exec', sb, '--no-raw', '--', 'printf', '\\377ok'])
    assert.deepEqual([text.code, text.stdout], [0, '\ufffdok'])
  })

  test('a missing sandbox exits 3', async () => {
    const result = await wm(['exec', 'no-such-sandbox', '--', 'true'])
    assert.equal(result.code, 3)
    assert.match(result.stderr, /\(code 2001\)\n$/)
  })

  test('SIGINT is passed to the remote process group; wm exits 130', async () => {
    const child = spawn(
      process.execPath,
      [WM_MAIN, 'exec', sb, '--', 'sh', '-c', 'echo ready; sleep 60'],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    )
    child.stdin.end()
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    const started = Date.now()
    child.kill('SIGINT')
    const code = await new Promise((resolve) => child.on('close', resolve))
    assert.equal(code, 130)
    assert.ok(Date.now() - started < 10_000)
    const listed = await wm(['--json', 'exec', sb, '--', 'sh', '-c', 'ps -eo args || true'])
    assert.doesNotMatch(JSON.parse(listed.stdout).stdout, /sleep 60/)
  })
})
