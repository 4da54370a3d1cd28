import { test } from 'node:test'
import assert from 'node:assert/strict'
import { testApp } from './helpers/app.js'

test('an unknown route is 404 in the error envelope', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'GET', url: '/v1/nothing?x=1' })
  assert.equal(response.statusCode, 404)
  assert.deepEqual(response.json(), {
    error: { code: 1007, message: 'no route for GET /v1/nothing' },
  })
})

test('malformed JSON is 400 code 1001', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: { 'content-type': 'application/json' },
    payload: '{"name": ',
  })
  assert.equal(response.statusCode, 400)
  assert.equal(response.json().error.code, 1001)
})

test('schema violations are 400 code 1001 with the offending field', async (t) => {
  const { app } = await testApp(t)
  const cases = [
    { name: 42 },
    { name: '' },
    { name: 'x'.repeat(129) },
    { metadata: { a: 1 } },
    { metadata: { ['k'.repeat(129)]: 'v' } },
    { metadata: { '': 'v' } },
    { metadata: 'nope' },
    { privileged: true },
  ]
  for (const payload of cases) {
    const response = await app.inject({ method: 'POST', url: '/v1/workspaces', payload })
    assert.equal(response.statusCode, 400, JSON.stringify(payload))
    const { error } = response.json()
    assert.equal(error.code, 1001)
    assert.ok(error.details.issues.length > 0)
  }
})

test('a malformed id is 400; a well-formed unknown id is 404 code 7001', async (t) => {
  const { app } = await testApp(t)
  const malformed = await app.inject({ method: 'GET', url: '/v1/workspaces/bad%20id!' })
  assert.equal(malformed.statusCode, 400)
  assert.equal(malformed.json().error.code, 1001)
  const long = await app.inject({ method: 'GET', url: `/v1/workspaces/${'a'.repeat(129)}` })
  assert.equal(long.statusCode, 400)
  const unknown = await app.inject({ method: 'GET', url: '/v1/workspaces/invalid-id' })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().error.code, 7001)
})

test('a JSON body over the limit is 413 code 1004', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ name: 'x', metadata: { big: 'y'.repeat(2 * 1024 * 1024) } }),
  })
  assert.equal(response.statusCode, 413)
  assert.equal(response.json().error.code, 1004)
})

test('an unsupported content type on a JSON route is 400 code 1001', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: { 'content-type': 'text/xml' },
    payload: '<x/>',
  })
  assert.equal(response.statusCode, 400)
  assert.equal(response.json().error.code, 1001)
})
