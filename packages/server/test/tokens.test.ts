import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TokenSigner } from '../src/services/tokens.js'
import { ApiError } from '../src/errors.js'

const signer = new TokenSigner('secret-one')
const exp = Math.floor(Date.now() / 1000) + 60

function code(fn: () => unknown): number | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof ApiError ? error.code : undefined
  }
  return 0
}

test('a token verifies for exactly what it was minted for', () => {
  const token = signer.sign({ sub: 'sb_1', op: 'pty', exp })
  assert.equal(signer.verify(token, { sub: 'sb_1', op: 'pty' }).exp, exp)
  assert.equal(
    code(() => signer.verify(token, { sub: 'sb_2', op: 'pty' })),
    6001,
  )
  assert.equal(
    code(() => signer.verify(token, { sub: 'sb_1', op: 'upload' })),
    6001,
  )
  assert.equal(
    code(() => signer.verify(token, { sub: 'sb_1', op: 'pty', path: 'a' })),
    6001,
  )
})

test('expired is 6002; tampered, foreign-secret and malformed are 6001', () => {
  const old = signer.sign({ sub: 'sb_1', op: 'pty', exp: Math.floor(Date.now() / 1000) - 1 })
  assert.equal(
    code(() => signer.verify(old, { sub: 'sb_1', op: 'pty' })),
    6002,
  )
  const token = signer.sign({ sub: 'sb_1', op: 'pty', exp })
  const [prefix, body, mac] = token.split('.')
  const forgedBody = Buffer.from(
    JSON.stringify({ sub: 'sb_1', op: 'pty', exp: exp + 9999 }),
  ).toString('base64url')
  assert.equal(
    code(() => signer.verify(`${prefix}.${forgedBody}.${mac}`, { sub: 'sb_1', op: 'pty' })),
    6001,
  )
  assert.equal(
    code(() => signer.verify(`${prefix}.${body}.AAAA`, { sub: 'sb_1', op: 'pty' })),
    6001,
  )
  const foreign = new TokenSigner('secret-two').sign({ sub: 'sb_1', op: 'pty', exp })
  assert.equal(
    code(() => signer.verify(foreign, { sub: 'sb_1', op: 'pty' })),
    6001,
  )
  for (const bad of ['', 'x', 'wm1..', 'wm1.a.b.c', 'wm2.e30.AAAA']) {
    assert.equal(
      code(() => signer.verify(bad, { sub: 'sb_1', op: 'pty' })),
      6001,
      bad,
    )
  }
})
