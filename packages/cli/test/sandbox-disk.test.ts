import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CommanderError, type Command } from 'commander'
import type { Sandbox } from 'workspace-sdk'
import { createParams } from '../src/commands/sandbox.js'
import { formatSandboxDetails } from '../src/output.js'
import { buildProgram } from '../src/program.js'

/** The flags `wm sandbox create ...args` hands its action. */
async function createFlags(args: string[]): Promise<Record<string, unknown>> {
  const { program } = buildProgram()
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  const sandbox = program.commands.find((command) => command.name() === 'sandbox')!
  const create: Command = sandbox.commands.find((command) => command.name() === 'create')!
  create.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  let flags: Record<string, unknown> = {}
  create.action((received: Record<string, unknown>) => {
    flags = received
  })
  await program.parseAsync(['node', 'wm', 'sandbox', 'create', '--workspace', 'ws1', ...args])
  return flags
}

const sandbox: Sandbox = {
  id: 'sb_1',
  workspaceId: 'ws_1',
  template: 'workspace-test:latest',
  state: 'running',
  createdAt: '2026-11-24T10:00:05.123Z',
  updatedAt: '2026-11-24T10:00:07.000Z',
  name: null,
  env: null,
  metadata: null,
  timeout: null,
  errorMessage: null,
  cpu: 1,
  memory: 536870912,
  networkMode: 'none',
  applicationKind: null,
  expiresAt: null,
}

test('wm sandbox create --disk sends diskBytes as given; without it, none', async () => {
  assert.equal(createParams((await createFlags(['--disk', '2GiB'])) as never).diskBytes, '2GiB')
  assert.equal(
    createParams((await createFlags(['--disk', '67108864'])) as never).diskBytes,
    2 ** 26,
  )
  assert.equal('diskBytes' in createParams((await createFlags([])) as never), false)
  for (const bad of ['lots', '-1', '2 parsecs']) {
    await assert.rejects(createFlags(['--disk', bad]), CommanderError, bad)
  }
})

test('wm sandbox get shows the disk size after memory, unlimited for null, nothing from older servers', () => {
  const sized = formatSandboxDetails({ ...sandbox, diskBytes: 2 * 1024 ** 3 })
  assert.match(sized, /\nmemory: +512\.0 MiB\ndisk: +2\.0 GiB\nnetwork: /)
  assert.match(formatSandboxDetails({ ...sandbox, diskBytes: null }), /\ndisk: +unlimited\n/)
  assert.doesNotMatch(formatSandboxDetails(sandbox), /disk/)
})
