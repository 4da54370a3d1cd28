import { test } from 'node:test'
import assert from 'node:assert/strict'
import { keyDigest, matchesAnyKey } from '../src/http/auth.js'
import { testApp } from './helpers/app.js'

test('matchesAnyKey finds a key among several', () => {
  const keys = ['alpha', 'beta', 'gamma'].map(keyDigest)
  assert.equal(matchesAnyKey('beta', keys), true)
  assert.equal(matchesAnyKey('bet', keys), false)
  assert.equal(matchesAnyKey('', keys), false)
})

test('with no key set, auth is off', async (t) => {
  const { app } = await testApp(t)
  assert.equal((await app.inject({ method: 'GET', url: '/v1/workspaces' })).statusCode, 200)
})

test('WORKSPACE_API_KEY and WORKSPACE_API_KEYS are merged', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: 'single', WORKSPACE_API_KEYS: 'one,two' })
  for (const key of ['single', 'one', 'two']) {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/workspaces',
      headers: { 'x-api-key': key },
    })
    assert.equal(response.statusCode, 200, key)
  }
})

test('a wrong or missing key is 401 code 1002; /health stays open', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: 'right' })
  const wrong = await app.inject({
    method: 'GET',
    url: '/v1/workspaces',
    headers: { 'x-api-key': 'wrong' },
  })
  assert.equal(wrong.statusCode, 401)
  assert.equal(wrong.json().error.code, 1002)
  const missing = await app.inject({ method: 'GET', url: '/v1/workspaces' })
  assert.equal(missing.statusCode, 401)
  assert.match(missing.json().error.message, /X-API-Key/i)
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  assert.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 401)
})

test('WORKSPACE_API_KEY_HEADER names the header', async (t) => {
  const { app } = await testApp(t, {
    WORKSPACE_API_KEY: 'k',
    WORKSPACE_API_KEY_HEADER: 'X-Custom-Key',
  })
  const viaCustom = await app.inject({
    method: 'GET',
    url: '/v1/workspaces',
    headers: { 'x-custom-key': 'k' },
  })
  assert.equal(viaCustom.statusCode, 200)
  const viaDefault = await app.inject({
    method: 'GET',
    url: '/v1/workspaces',
    headers: { 'x-api-key': 'k' },
  })
  assert.equal(viaDefault.statusCode, 401)
})
