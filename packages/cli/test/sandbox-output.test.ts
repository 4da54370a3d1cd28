import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Sandbox } from 'workspace-sdk'
import { formatSandboxDetails, formatSandboxTable } from '../src/output.js'

const sandbox: Sandbox = {
  id: 'sb_1',
  workspaceId: 'ws_1',
  template: 'workspace-test:latest',
  state: 'running',
  createdAt: '2026-11-24T10:00:05.123Z',
  updatedAt: '2026-11-24T10:00:07.000Z',
  name: null,
  env: { TOKEN: 'secret', DEBUG: '1' },
  metadata: { team: 'core' },
  timeout: 600,
  errorMessage: null,
  cpu: 0.5,
  memory: 536870912,
  networkMode: 'none',
  applicationKind: null,
  expiresAt: '2026-11-24T10:10:05.123Z',
}

describe('sandbox output', () => {
  test('the list table', () => {
    const failed = { ...sandbox, id: 'sb_2', state: 'error' as const, name: 'broken' }
    assert.equal(
      formatSandboxTable([sandbox, failed]),
      [
        'ID    STATE    WORKSPACE  TEMPLATE               NAME    CREATED (UTC)',
        'sb_1  running  ws_1       workspace-test:latest  -       2026-11-24 10:00:05',
        'sb_2  error    ws_1       workspace-test:latest  broken  2026-11-24 10:00:05',
        '',
      ].join('\n'),
    )
  })

  test('the details view shows env names but not their values', () => {
    const text = formatSandboxDetails({ ...sandbox, state: 'error', errorMessage: 'out of memory' })
    assert.match(text, /^id: +sb_1\nstate: +error \(out of memory\)\nworkspace: +ws_1\n/)
    assert.match(
      text,
      /\nexpires: +2026-11-24 10:10:05 UTC\ncpu: +0\.5 cores\nmemory: +512\.0 MiB\n/,
    )
    assert.match(text, /\nnetwork: +none\nenv: +TOKEN, DEBUG\nmetadata: +team=core\n$/)
    assert.doesNotMatch(text, /secret/)
  })

  test('the details view shows the lifecycle settings a server sends, between expires and cpu', () => {
    const text = formatSandboxDetails({
      ...sandbox,
      state: 'stopping',
      desiredState: 'stopped',
      onIdle: 'pause',
      onTimeout: 'stop',
      autoResume: false,
    })
    assert.match(
      text,
      /\nexpires: +2026-11-24 10:10:05 UTC\ndesired: +stopped\non timeout: +stop\non idle: +pause\nauto resume: +no\ncpu: +0\.5 cores\n/,
    )
    const settled = formatSandboxDetails({ ...sandbox, desiredState: 'running', autoResume: true })
    assert.match(settled, /\nexpires: .*\nauto resume: +yes\ncpu: /)
    assert.doesNotMatch(settled, /desired/)
  })
})
