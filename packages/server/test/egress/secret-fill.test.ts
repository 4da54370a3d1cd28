import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fillHeaders, fillText, secretsForHost } from '../../src/egress/secret-fill.js'

const ca = { cert: 'cert', key: 'key' }
const token = {
  name: 'TOKEN',
  value: 'real-token',
  hosts: ['api.test'],
  placeholder: 'wm-secret-a',
}
const key = { name: 'KEY', value: 'real-key', hosts: ['*.example.com'], placeholder: 'wm-secret-b' }
const all = { ca, secrets: [token, key] }

test('secrets go to the hosts they name: exact names, and subdomains for *.', () => {
  assert.deepEqual(secretsForHost(all, 'api.test'), { ca, secrets: [token] })
  assert.deepEqual(secretsForHost(all, 'API.test.'), { ca, secrets: [token] })
  assert.deepEqual(secretsForHost(all, 'a.b.example.com'), { ca, secrets: [key] })
  assert.equal(secretsForHost(all, 'example.com'), undefined, 'the wildcard is for subdomains')
  assert.equal(secretsForHost(all, 'api.test.evil.com'), undefined)
  assert.equal(secretsForHost(all, 'evilapi.test'), undefined)
  assert.equal(secretsForHost(null, 'api.test'), undefined)
  assert.equal(secretsForHost({ ca, secrets: [] }, 'api.test'), undefined)
})

test('every occurrence of a placeholder is replaced, in every header value and the target', () => {
  const secrets = [token, key]
  assert.equal(
    fillText('/v1?a=wm-secret-a&b=wm-secret-a&c=wm-secret-b', secrets),
    '/v1?a=real-token&b=real-token&c=real-key',
  )
  assert.equal(fillText('/nothing/here', secrets), '/nothing/here')
  assert.deepEqual(
    fillHeaders(
      {
        authorization: 'Bearer wm-secret-a',
        'x-api-key': 'wm-secret-b',
        cookie: 'a=wm-secret-a; b=1',
        'set-cookie': ['x=wm-secret-b', 'y=2'],
        'wm-secret-a': 'names are left alone',
        accept: '*/*',
      },
      secrets,
    ),
    {
      authorization: 'Bearer real-token',
      'x-api-key': 'real-key',
      cookie: 'a=real-token; b=1',
      'set-cookie': ['x=real-key', 'y=2'],
      'wm-secret-a': 'names are left alone',
      accept: '*/*',
    },
  )
  // Only the secrets given (those of the destination) are filled in.
  assert.deepEqual(fillHeaders({ authorization: 'wm-secret-b' }, [token]), {
    authorization: 'wm-secret-b',
  })
})
