import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CommanderError, InvalidArgumentError, type Command } from 'commander'
import { createParams } from '../src/commands/sandbox.js'
import { execRequest } from '../src/commands/exec.js'
import { UsageError } from '../src/exit-codes.js'
import { parseCpu, parseMemory, parseSeconds, parseWholeSeconds } from '../src/option-values.js'
import { buildProgram } from '../src/program.js'

/** Parses `wm ...args` and returns what the named subcommand's action was called with. */
async function parsed(path: string[], args: string[]): Promise<unknown[]> {
  const { program } = buildProgram()
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  let target: Command = program
  for (const name of path) {
    const next = target.commands.find((command) => command.name() === name)
    assert.ok(next, `no command ${name}`)
    next.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    target = next
  }
  let seen: unknown[] = []
  target.action((...received: unknown[]) => {
    seen = received.slice(0, -1) // the last one is the command itself
  })
  await program.parseAsync(['node', 'wm', ...args])
  return seen
}

describe('wm exec arguments', () => {
  test('operands after -- are the command, options of wm before it', async () => {
    const [sandbox, command, flags] = await parsed(
      ['exec'],
      ['exec', 'sb1', '--env', 'A=1', '--env', 'B=x=y', '--cwd', '/tmp', '--timeout', '1.5'].concat(
        ['--', 'sh', '-c', 'echo out; exit 3', '--timeout', '9'],
      ),
    )
    assert.equal(sandbox, 'sb1')
    assert.deepEqual(command, ['sh', '-c', 'echo out; exit 3', '--timeout', '9'])
    assert.deepEqual(flags, { env: { A: '1', B: 'x=y' }, cwd: '/tmp', timeout: 1.5 })
    assert.deepEqual(execRequest('sb1', command as string[], flags as object), {
      sandboxId: 'sb1',
      cmd: 'sh',
      args: ['-c', 'echo out; exit 3', '--timeout', '9'],
      env: { A: '1', B: 'x=y' },
      cwd: '/tmp',
      timeoutMs: 1500,
      raw: !process.stdout.isTTY,
    })
  })

  test('--raw and --no-raw choose the output mode; by default raw unless stdout is a terminal', async () => {
    for (const [flag, raw] of [
      ['--raw', true],
      ['--no-raw', false],
    ] as const) {
      const [, command, flags] = await parsed(['exec'], ['exec', 'sb1', flag, '--', 'true'])
      assert.deepEqual(flags, { raw })
      assert.equal(execRequest('sb1', command as string[], flags as object).raw, raw)
    }
  })

  test('a command without options needs no --; global --json may come first', async () => {
    const [sandbox, command, flags] = await parsed(
      ['exec'],
      ['--json', 'exec', 'sb1', 'echo', 'hi'],
    )
    assert.deepEqual([sandbox, command, flags], ['sb1', ['echo', 'hi'], {}])
    assert.deepEqual(execRequest('sb1', ['true'], {}), {
      sandboxId: 'sb1',
      cmd: 'true',
      args: [],
      env: undefined,
      cwd: undefined,
      timeoutMs: undefined,
      raw: !process.stdout.isTTY,
    })
  })

  test('usage errors: no command, bad --env, bad --timeout', async () => {
    await assert.rejects(parsed(['exec'], ['exec', 'sb1']), CommanderError)
    await assert.rejects(
      parsed(['exec'], ['exec', 'sb1', '--env', 'novalue', '--', 'ls']),
      CommanderError,
    )
    await assert.rejects(
      parsed(['exec'], ['exec', 'sb1', '--timeout', '0', '--', 'ls']),
      CommanderError,
    )
    assert.throws(() => execRequest('sb1', [''], {}), UsageError)
  })
})

describe('wm sandbox arguments', () => {
  test('create: every flag, repeatable --env and --meta', async () => {
    const [flags] = await parsed(
      ['sandbox', 'create'],
      ['sandbox', 'create', '--workspace', 'ws1', '--template', 'img:1', '--name', 'n'].concat(
        ['--env', 'A=1', '--env', 'B=2', '--meta', 'team=core', '--timeout', '600'],
        ['--cpu', '0.5', '--memory', '512m', '--network', 'bridge'],
      ),
    )
    assert.deepEqual(createParams(flags as never), {
      workspaceId: 'ws1',
      template: 'img:1',
      name: 'n',
      env: { A: '1', B: '2' },
      metadata: { team: 'core' },
      timeout: 600,
      cpu: 0.5,
      memory: '512m',
      networkMode: 'bridge',
      onIdle: undefined,
      onTimeout: undefined,
      autoResume: undefined,
    })
  })

  test('create: lifecycle flags; neither --auto-resume nor --no-auto-resume leaves it unset', async () => {
    const create = (...flags: string[]) =>
      parsed(['sandbox', 'create'], ['sandbox', 'create', '--workspace', 'ws1', ...flags])
    const [paused] = await create('--on-idle', 'pause', '--on-timeout', 'stop', '--auto-resume')
    assert.deepEqual(createParams(paused as never), {
      ...createParams({ workspace: 'ws1' }),
      onIdle: 'pause',
      onTimeout: 'stop',
      autoResume: true,
    })
    const [off] = await create('--no-auto-resume')
    assert.equal(createParams(off as never).autoResume, false)
    const [unset] = await create()
    assert.deepEqual(unset, { workspace: 'ws1' })
    assert.equal(createParams(unset as never).autoResume, undefined)
    await assert.rejects(create('--on-idle', 'sleep'), CommanderError)
    await assert.rejects(create('--on-timeout', 'resume'), CommanderError)
  })

  test('stop, start, pause and resume take one sandbox id', async () => {
    for (const verb of ['stop', 'start', 'pause', 'resume']) {
      assert.deepEqual(await parsed(['sandbox', verb], ['sb', verb, 's1']), ['s1', {}])
      await assert.rejects(parsed(['sandbox', verb], ['sandbox', verb]), CommanderError)
    }
  })

  test('create needs --workspace; --network and --state are checked', async () => {
    await assert.rejects(parsed(['sandbox', 'create'], ['sandbox', 'create']), CommanderError)
    await assert.rejects(
      parsed(['sandbox', 'create'], ['sandbox', 'create', '--workspace', 'w', '--network', 'host']),
      CommanderError,
    )
    await assert.rejects(
      parsed(['sandbox', 'list'], ['sandbox', 'list', '--state', 'gone']),
      CommanderError,
    )
  })

  test('list filters, rm --force, wait defaults to running', async () => {
    assert.deepEqual(
      await parsed(['sandbox', 'list'], ['sb', 'ls', '--workspace', 'w', '--state', 'error']),
      [{ workspace: 'w', state: 'error' }],
    )
    assert.deepEqual(await parsed(['sandbox', 'rm'], ['sandbox', 'rm', 's1', '--force']), [
      's1',
      { force: true },
    ])
    assert.deepEqual(await parsed(['sandbox', 'wait'], ['sandbox', 'wait', 's1']), [
      's1',
      { state: 'running' },
    ])
    assert.deepEqual(
      await parsed(
        ['sandbox', 'wait'],
        ['sandbox', 'wait', 's1', '--state', 'stopped', '--timeout', '2.5'],
      ),
      ['s1', { state: 'stopped', timeout: 2.5 }],
    )
    assert.deepEqual(
      await parsed(['sandbox', 'wait'], ['sandbox', 'wait', 's1', '--state', 'paused']),
      ['s1', { state: 'paused' }],
    )
  })
})

describe('option values', () => {
  test('seconds', () => {
    assert.equal(parseSeconds('1.5'), 1.5)
    for (const bad of ['0', '-1', '', 'x', 'Infinity'])
      assert.throws(() => parseSeconds(bad), InvalidArgumentError)
    assert.equal(parseWholeSeconds('600'), 600)
    for (const bad of ['0', '1.5', '-3', 'x'])
      assert.throws(() => parseWholeSeconds(bad), InvalidArgumentError)
  })

  test('cpu and memory: numbers become numbers, sizes stay text for the server', () => {
    assert.equal(parseCpu('2'), 2)
    assert.equal(parseCpu('0.5'), 0.5)
    assert.equal(parseCpu('500m'), '500m')
    assert.equal(parseCpu('1c'), '1c')
    assert.throws(() => parseCpu('lots'), InvalidArgumentError)
    assert.equal(parseMemory('268435456'), 268435456)
    assert.equal(parseMemory('512m'), '512m')
    assert.equal(parseMemory('2GiB'), '2GiB')
    assert.throws(() => parseMemory('big'), InvalidArgumentError)
  })
})
