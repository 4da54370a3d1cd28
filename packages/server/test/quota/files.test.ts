import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import {
  MiB,
  createWorkspace,
  getWorkspace,
  hostEntries,
  quotaApp,
  upload,
  uploadStreamed,
} from './helpers.js'

/*
 * The file API on a workspace with a quota, on a filesystem that enforces
 * it: writes past the quota are 507 code 5007 and leave nothing behind,
 * other workspaces are untouched, usage follows the files, and the quota can
 * be raised and lifted.
 */

test('an upload past a 20 MiB quota is 507 code 5007, naming the quota, and leaves no file', async (t) => {
  const { app, config } = await quotaApp(t)
  const ws = await createWorkspace(app, { name: 'small', quota_bytes: 20 * MiB })
  assert.equal(ws.quota_bytes, 20 * MiB)

  assert.equal((await upload(app, ws.id, 'first.bin', 12 * MiB)).statusCode, 201)
  const refused = await upload(app, ws.id, 'second.bin', 12 * MiB)
  assert.equal(refused.statusCode, 507, refused.body)
  const { error } = refused.json()
  assert.equal(error.code, 5007)
  assert.match(error.message, /quota/i)
  assert.match(error.message, new RegExp(`${20 * MiB} bytes`))
  assert.equal(error.details.quota_bytes, 20 * MiB)
  assert.equal(error.details.path, 'second.bin')

  // Neither the file nor the temporary file it was streamed into is left.
  assert.deepEqual(await hostEntries(config, ws.id), ['first.bin'])
  const info = await app.inject({
    method: 'GET',
    url: `/v1/workspaces/${ws.id}/files/info?path=second.bin`,
  })
  assert.equal(info.statusCode, 404)
})

test('an upload flushed early as it arrives lands whole, and past the quota leaves nothing', async (t) => {
  const { app, config } = await quotaApp(t)
  // 200 MiB: the server flushes it to disk every 64 MiB while it is still arriving.
  const roomy = await createWorkspace(app, { quota_bytes: 300 * MiB })
  const landed = await uploadStreamed(app, roomy.id, 'big.bin', 200)
  assert.equal(landed.response.statusCode, 201, landed.response.body)
  assert.equal(landed.response.json().size, 200 * MiB)
  const back = await app.inject({
    method: 'GET',
    url: `/v1/workspaces/${roomy.id}/files/content?path=big.bin`,
  })
  assert.equal(back.statusCode, 200)
  assert.equal(createHash('sha256').update(back.rawPayload).digest('hex'), landed.sha256)

  // Refused at about 100 MiB, with the first early flush done and maybe another in flight.
  const tight = await createWorkspace(app, { quota_bytes: 100 * MiB })
  const refused = await uploadStreamed(app, tight.id, 'big.bin', 200)
  assert.equal(refused.response.statusCode, 507, refused.response.body)
  assert.equal(refused.response.json().error.code, 5007)
  assert.deepEqual(await hostEntries(config, tight.id), [])
})

test('a copy past the quota is 507 code 5007 and leaves no partial copy', async (t) => {
  const { app, config } = await quotaApp(t)
  const ws = await createWorkspace(app, { quota_bytes: 20 * MiB })
  assert.equal((await upload(app, ws.id, 'big.bin', 12 * MiB)).statusCode, 201)
  const copy = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${ws.id}/files/copy`,
    payload: { source: 'big.bin', destination: 'copy.bin' },
  })
  assert.equal(copy.statusCode, 507, copy.body)
  assert.equal(copy.json().error.code, 5007)
  assert.deepEqual(await hostEntries(config, ws.id), ['big.bin'])
})

test('a full workspace leaves another workspace, and the server, working', async (t) => {
  const { app } = await quotaApp(t)
  const full = await createWorkspace(app, { quota_bytes: 20 * MiB })
  const other = await createWorkspace(app, { quota_bytes: 20 * MiB })
  const unlimited = await createWorkspace(app, {})
  assert.equal((await upload(app, full.id, 'a.bin', 19 * MiB)).statusCode, 201)
  assert.equal((await upload(app, full.id, 'b.bin', 4 * MiB)).statusCode, 507)

  assert.equal((await upload(app, other.id, 'a.bin', 15 * MiB)).statusCode, 201)
  assert.equal((await upload(app, unlimited.id, 'a.bin', 30 * MiB)).statusCode, 201)
  const listed = await app.inject({ method: 'GET', url: '/v1/workspaces' })
  assert.equal(listed.statusCode, 200)
  assert.equal(listed.json().workspaces.length, 3)
})

test('used_bytes grows with files and shrinks when they are deleted', async (t) => {
  const { app } = await quotaApp(t)
  const ws = await createWorkspace(app, { quota_bytes: 20 * MiB })
  const empty = (await getWorkspace(app, ws.id)).used_bytes
  assert.equal(typeof empty, 'number')
  assert.ok(empty! < MiB, `an empty workspace uses ${empty} bytes`)

  assert.equal((await upload(app, ws.id, 'a.bin', 8 * MiB)).statusCode, 201)
  const withFile = (await getWorkspace(app, ws.id)).used_bytes!
  assert.ok(withFile >= 8 * MiB && withFile < 9 * MiB, `used ${withFile} after 8 MiB`)

  const removed = await app.inject({
    method: 'DELETE',
    url: `/v1/workspaces/${ws.id}/files?path=a.bin`,
  })
  assert.equal(removed.statusCode, 204)
  const afterDelete = (await getWorkspace(app, ws.id)).used_bytes!
  assert.ok(afterDelete < MiB, `used ${afterDelete} after the delete`)

  // The list reports the same usage as the get.
  const listed = await app.inject({ method: 'GET', url: '/v1/workspaces' })
  assert.equal(listed.json().workspaces[0].used_bytes, afterDelete)
})

test('PATCH raises a quota so a refused upload fits, and null lifts it', async (t) => {
  const { app } = await quotaApp(t)
  const ws = await createWorkspace(app, { quota_bytes: 20 * MiB })
  assert.equal((await upload(app, ws.id, 'a.bin', 15 * MiB)).statusCode, 201)
  assert.equal((await upload(app, ws.id, 'b.bin', 10 * MiB)).statusCode, 507)

  const raised = await app.inject({
    method: 'PATCH',
    url: `/v1/workspaces/${ws.id}`,
    payload: { quota_bytes: 40 * MiB },
  })
  assert.equal(raised.statusCode, 200, raised.body)
  assert.equal(raised.json().quota_bytes, 40 * MiB)
  assert.equal((await upload(app, ws.id, 'b.bin', 10 * MiB)).statusCode, 201)

  const lifted = await app.inject({
    method: 'PATCH',
    url: `/v1/workspaces/${ws.id}`,
    payload: { quota_bytes: null },
  })
  assert.equal(lifted.statusCode, 200, lifted.body)
  assert.equal(lifted.json().quota_bytes, null)
  assert.equal((await upload(app, ws.id, 'c.bin', 30 * MiB)).statusCode, 201)
  assert.ok((await getWorkspace(app, ws.id)).used_bytes! >= 55 * MiB)

  const lowered = await app.inject({
    method: 'PATCH',
    url: `/v1/workspaces/${ws.id}`,
    payload: { quota_bytes: 20 * MiB },
  })
  assert.equal(lowered.statusCode, 200, 'a quota below what is used is accepted')
  assert.equal((await upload(app, ws.id, 'd.bin', MiB)).statusCode, 507)
})

test('deleting a workspace with a quota removes its directory', async (t) => {
  const { app, config } = await quotaApp(t)
  const ws = await createWorkspace(app, { quota_bytes: 20 * MiB })
  assert.equal((await upload(app, ws.id, 'a.bin', 5 * MiB)).statusCode, 201)
  const removed = await app.inject({ method: 'DELETE', url: `/v1/workspaces/${ws.id}` })
  assert.equal(removed.statusCode, 204)
  await assert.rejects(hostEntries(config, ws.id), { code: 'ENOENT' })
  const again = await app.inject({ method: 'GET', url: `/v1/workspaces/${ws.id}` })
  assert.equal(again.statusCode, 404)
})
