import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig } from '../src/config/index.js'

test('WM_WARM_POOL: template=count entries; unset or blank is no pool', () => {
  assert.deepEqual(loadConfig({}).warmPool, [])
  assert.deepEqual(loadConfig({ WM_WARM_POOL: '  ' }).warmPool, [])
  assert.deepEqual(
    loadConfig({ WM_WARM_POOL: 'workspace-test:latest=4, ubuntu:22.04 = 1' }).warmPool,
    [
      { template: 'workspace-test:latest', count: 4 },
      { template: 'ubuntu:22.04', count: 1 },
    ],
  )
  assert.deepEqual(
    loadConfig({ WM_WARM_POOL: 'registry:5000/img@sha256:' + 'a'.repeat(64) + '=2' }).warmPool,
    [{ template: 'registry:5000/img@sha256:' + 'a'.repeat(64), count: 2 }],
  )
})

test('bad WM_WARM_POOL values are ConfigErrors naming the variable', () => {
  for (const [value, why] of [
    ['workspace-test:latest', /template=count/],
    ['=3', /template=count/],
    ['workspace-test=', /template=count/],
    ['workspace-test=two', /template=count/],
    ['workspace-test=-1', /template=count/],
    ['workspace-test=0', /between 1 and 64/],
    ['workspace-test=65', /between 1 and 64/],
    ['Workspace-Test=1', /not a valid image reference/],
    ['a=1,,b=1', /template=count/],
    ['a=1,a=2', /named twice/],
  ] as const) {
    assert.throws(
      () => loadConfig({ WM_WARM_POOL: value }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes('WM_WARM_POOL') &&
        why.test(error.message),
      value,
    )
  }
})

test('the warm pool is refused on Kubernetes and under gVisor, naming both variables', () => {
  for (const runtime of ['kubernetes', 'runsc']) {
    assert.throws(
      () => loadConfig({ WM_WARM_POOL: 'workspace-test:latest=1', WM_RUNTIME: runtime }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /WM_WARM_POOL/.test(error.message) &&
        /WM_RUNTIME=runc only/.test(error.message),
    )
  }
  assert.deepEqual(loadConfig({ WM_RUNTIME: 'kubernetes' }).warmPool, [])
})
