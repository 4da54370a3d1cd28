import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createParams } from '../src/commands/sandbox.js'
import { parseSecretEntry } from '../src/commands/secrets.js'
import { UsageError } from '../src/exit-codes.js'
import { formatSandboxDetails } from '../src/output.js'

test('--secret NAME=hosts takes the value from wm’s own environment, never the command line', () => {
  const entries = parseSecretEntry(
    'B_KEY=*.b.io',
    parseSecretEntry('OPENAI_KEY=api.openai.com, x.io'),
  )
  assert.deepEqual(entries, { OPENAI_KEY: ['api.openai.com', 'x.io'], B_KEY: ['*.b.io'] })
  const params = createParams(
    { workspace: 'ws_1', secret: entries },
    {
      OPENAI_KEY: 'sk-1',
      B_KEY: 'b',
    },
  )
  assert.deepEqual(params.secrets, {
    OPENAI_KEY: { value: 'sk-1', hosts: ['api.openai.com', 'x.io'] },
    B_KEY: { value: 'b', hosts: ['*.b.io'] },
  })
  assert.equal(createParams({ workspace: 'ws_1' }, {}).secrets, undefined)
  assert.throws(
    () => createParams({ workspace: 'ws_1', secret: { MISSING: ['a.io'] } }, {}),
    (error: unknown) => error instanceof UsageError && /variable MISSING/.test(error.message),
  )
  for (const bad of ['NOHOSTS=', '=a.io', 'no-equals', '1BAD=a.io', 'A=,']) {
    assert.throws(() => parseSecretEntry(bad), /NAME=host/, bad)
  }
})

test('wm sandbox get names the secrets and their hosts, never a value', () => {
  const shown = formatSandboxDetails({
    id: 'sb_1',
    workspaceId: 'ws_1',
    template: 't',
    state: 'running',
    createdAt: '2026-11-24T10:00:05.123Z',
    updatedAt: '2026-11-24T10:00:05.123Z',
    name: null,
    env: { OPENAI_KEY: 'wm-secret-0' },
    metadata: null,
    timeout: null,
    errorMessage: null,
    cpu: 1,
    memory: 2 ** 29,
    networkMode: 'allowlist',
    applicationKind: null,
    expiresAt: null,
    secrets: { OPENAI_KEY: { hosts: ['api.openai.com'] }, B: { hosts: ['*.b.io', 'c.io'] } },
  })
  assert.match(shown, /\nsecrets: +OPENAI_KEY -> api\.openai\.com; B -> \*\.b\.io, c\.io\n/)
})
