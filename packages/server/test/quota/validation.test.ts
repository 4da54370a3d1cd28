import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MiB, createWorkspace, quotaApp } from './helpers.js'

/* Bad quota values are 400 code 1001 on create and on PATCH, on a data dir that could enforce them. */

const BAD = [
  ['negative', -MiB],
  ['zero', 0],
  ['under 1 MiB', MiB - 1],
  ['not an integer', 20 * MiB + 0.5],
  ['a string', '20MiB'],
  ['a boolean', true],
  ['past 2^53 - 1', 2 ** 53],
  ['huge', 1e30],
] as const

test('bad quota_bytes on create is 400 code 1001 and creates nothing', async (t) => {
  const { app } = await quotaApp(t)
  for (const [what, value] of BAD) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/workspaces',
      payload: { quota_bytes: value },
    })
    assert.equal(response.statusCode, 400, `${what}: ${response.body}`)
    assert.equal(response.json().error.code, 1001, what)
    assert.match(response.json().error.message, /quota_bytes/, what)
  }
  const listed = await app.inject({ method: 'GET', url: '/v1/workspaces' })
  assert.equal(listed.json().workspaces.length, 0)
})

test('bad quota_bytes on PATCH is 400 code 1001 and keeps the quota', async (t) => {
  const { app } = await quotaApp(t)
  const ws = await createWorkspace(app, { quota_bytes: 20 * MiB })
  for (const [what, value] of BAD) {
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/workspaces/${ws.id}`,
      payload: { quota_bytes: value },
    })
    assert.equal(response.statusCode, 400, `${what}: ${response.body}`)
    assert.equal(response.json().error.code, 1001, what)
  }
  const unknownField = await app.inject({
    method: 'PATCH',
    url: `/v1/workspaces/${ws.id}`,
    payload: { name: 'renamed' },
  })
  assert.equal(unknownField.statusCode, 400, 'only the quota can be changed')
  const missing = await app.inject({
    method: 'PATCH',
    url: '/v1/workspaces/ws_00000000000000000000',
    payload: { quota_bytes: 20 * MiB },
  })
  assert.deepEqual([missing.statusCode, missing.json().error.code], [404, 7001])
  const kept = await app.inject({ method: 'GET', url: `/v1/workspaces/${ws.id}` })
  assert.equal(kept.json().quota_bytes, 20 * MiB)
})
