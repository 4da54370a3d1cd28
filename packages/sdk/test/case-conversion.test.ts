import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromWire, toWire } from '../src/case.js'

test('fromWire camelCases field names recursively, including inside arrays', () => {
  const wire = { files: [{ modified_at: 't', nested_list: [{ exit_code: 0 }] }], nfs_url: null }
  assert.deepEqual(fromWire(wire), {
    files: [{ modifiedAt: 't', nestedList: [{ exitCode: 0 }] }],
    nfsUrl: null,
  })
})

test('user maps (metadata, env, details, checks) keep their keys in both directions', () => {
  const wire = {
    metadata: { team_name: 'a' },
    env: { MY_VAR: '1' },
    details: { some_key: 1 },
    checks: { nfs_server: 'ok' },
  }
  assert.deepEqual(fromWire(wire), wire)
  const sdk = { workspaceId: 'w', metadata: { teamName: 'a' }, env: { myVar: '1' } }
  assert.deepEqual(toWire(sdk), {
    workspace_id: 'w',
    metadata: { teamName: 'a' },
    env: { myVar: '1' },
  })
})

test('toWire snake_cases field names and leaves values alone', () => {
  assert.deepEqual(toWire({ networkMode: 'none', applicationKind: undefined, args: ['aB'] }), {
    network_mode: 'none',
    application_kind: undefined,
    args: ['aB'],
  })
})

test('scalars and null pass through', () => {
  assert.equal(fromWire(null), null)
  assert.equal(fromWire('created_at'), 'created_at')
  assert.equal(toWire(3), 3)
})
