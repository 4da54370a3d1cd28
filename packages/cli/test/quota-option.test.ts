import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidArgumentError } from 'commander'
import { parseQuota } from '../src/option-values.js'

const MiB = 1024 ** 2

test('--quota takes bytes, binary sizes and none', () => {
  assert.equal(parseQuota('20971520'), 20 * MiB)
  assert.equal(parseQuota('20MiB'), 20 * MiB)
  assert.equal(parseQuota('20m'), 20 * MiB)
  assert.equal(parseQuota('20 MB'), 20 * MiB)
  assert.equal(parseQuota('1.5g'), 1536 * MiB)
  assert.equal(parseQuota('none'), null)
  assert.equal(parseQuota('Unlimited'), null)
})

test('--quota refuses what is not a size', () => {
  for (const bad of ['', '0', '-1', 'lots', '20 parsecs', '1e3', '99999999999999999999']) {
    assert.throws(() => parseQuota(bad), InvalidArgumentError, bad)
  }
})
