import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CreateSandboxBody } from '@workspace-manager/protocol'
import type { SandboxRecord } from '../src/store/index.js'
import { claimKey, poolKey } from '../src/services/pool/matching.js'

const pooled = {
  template: 'workspace-test:latest',
  nanoCpus: 1e9,
  memoryBytes: 512 * 1024 ** 2,
  diskBytes: null,
  networkMode: 'none',
  applicationKind: null,
}
const record = (changes: Partial<SandboxRecord> = {}) =>
  ({ ...pooled, ...changes }) as unknown as SandboxRecord
const body = (fields: Record<string, unknown> = {}) =>
  ({ workspace_id: 'ws_1', ...fields }) as CreateSandboxBody

test('a create with the pooled settings matches, whatever its env, metadata, name and lifecycle fields', () => {
  const key = poolKey(pooled)
  assert.equal(claimKey(body(), record()), key)
  const extras = {
    template: 'workspace-test:latest',
    name: 'n',
    env: { FOO: 'bar' },
    metadata: { a: 'b' },
    timeout: 60,
    cpu: 1,
    memory: '512m',
    disk_bytes: null,
    network_mode: 'none',
    application_kind: null,
    on_idle: 'stop',
    on_timeout: 'pause',
    auto_resume: true,
    network: null,
  }
  assert.equal(claimKey(body(extras), record()), key)
})

test('a create with other limits, template, network or kind, or a field the pool cannot honour, does not match', () => {
  const key = poolKey(pooled)
  assert.notEqual(claimKey(body(), record({ memoryBytes: 256 * 1024 ** 2 })), key)
  assert.notEqual(claimKey(body(), record({ nanoCpus: 5e8 })), key)
  assert.notEqual(
    claimKey(body({ disk_bytes: '64MiB' }), record({ diskBytes: 64 * 1024 ** 2 })),
    key,
    'a root filesystem size the pool was not made with',
  )
  const sized = { ...pooled, diskBytes: 64 * 1024 ** 2 }
  assert.equal(
    claimKey(body({ disk_bytes: 67108864 }), record({ diskBytes: 64 * 1024 ** 2 })),
    poolKey(sized),
    'the size a pool made with WM_SANDBOX_DISK_BYTES has matches',
  )
  assert.notEqual(claimKey(body(), record({ template: 'workspace-test' })), key)
  assert.equal(claimKey(body({ network_mode: 'open' }), record({ networkMode: 'open' })), undefined)
  assert.equal(claimKey(body(), record({ networkMode: 'bridge' })), undefined)
  assert.equal(claimKey(body(), record({ applicationKind: 'splunk' })), undefined)
  assert.equal(claimKey(body({ network: { mode: 'none' } }), record()), undefined)
  assert.equal(claimKey(body({ some_future_field: 1 }), record()), undefined)
})
