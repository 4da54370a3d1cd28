import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { testApp } from './helpers/app.js'

test('create, get, list and delete a workspace', async (t) => {
  const { app, config } = await testApp(t)
  const created = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    payload: { name: 'my-workspace', metadata: { project: 'demo' } },
  })
  assert.equal(created.statusCode, 201)
  const workspace = created.json()
  assert.match(workspace.id, /^ws_[0-9a-f]{20}$/)
  assert.equal(workspace.name, 'my-workspace')
  assert.deepEqual(workspace.metadata, { project: 'demo' })
  assert.equal(workspace.nfs_url, null)
  assert.ok(!Number.isNaN(Date.parse(workspace.created_at)))
  assert.equal(workspace.created_at, workspace.updated_at)
  const dir = path.join(config.dataDir, 'workspaces', workspace.id)
  assert.ok((await fs.stat(dir)).isDirectory())

  const got = await app.inject({ method: 'GET', url: `/v1/workspaces/${workspace.id}` })
  assert.deepEqual(got.json(), workspace)

  const listed = await app.inject({ method: 'GET', url: '/v1/workspaces' })
  assert.deepEqual(listed.json(), { workspaces: [workspace] })

  const deleted = await app.inject({ method: 'DELETE', url: `/v1/workspaces/${workspace.id}` })
  assert.equal(deleted.statusCode, 204)
  assert.equal(deleted.body, '')
  await assert.rejects(fs.stat(dir), { code: 'ENOENT' })
  const again = await app.inject({ method: 'DELETE', url: `/v1/workspaces/${workspace.id}` })
  assert.equal(again.statusCode, 404)
  assert.equal(again.json().error.code, 7001)
})

test('a workspace needs no body, name or metadata', async (t) => {
  const { app } = await testApp(t)
  const bare = await app.inject({ method: 'POST', url: '/v1/workspaces' })
  assert.equal(bare.statusCode, 201)
  assert.equal(bare.json().name, null)
  assert.equal(bare.json().metadata, null)
  const empty = await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
  assert.equal(empty.statusCode, 201)
})

test('deleting a workspace removes files of every kind, including symlinks out', async (t) => {
  const { app, config } = await testApp(t)
  const id = (await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })).json().id
  const dir = path.join(config.dataDir, 'workspaces', id)
  const outside = path.join(config.dataDir, 'outside')
  await fs.mkdir(outside)
  await fs.writeFile(path.join(outside, 'keep.txt'), 'keep')
  await fs.mkdir(path.join(dir, 'a', 'b'), { recursive: true })
  await fs.writeFile(path.join(dir, 'a', 'b', 'f.txt'), 'x')
  await fs.symlink(outside, path.join(dir, 'a', 'escape'))
  const response = await app.inject({ method: 'DELETE', url: `/v1/workspaces/${id}` })
  assert.equal(response.statusCode, 204)
  await assert.rejects(fs.stat(dir), { code: 'ENOENT' })
  assert.equal(await fs.readFile(path.join(outside, 'keep.txt'), 'utf8'), 'keep')
})

test('start-up sweeps the trash and directories that have no row', async (t) => {
  const { app, config } = await testApp(t)
  const id = (await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })).json().id
  const orphan = path.join(config.dataDir, 'workspaces', 'ws_orphan')
  const trashed = path.join(config.dataDir, 'trash', 'not an id.!')
  await fs.mkdir(orphan)
  await fs.mkdir(path.join(trashed, 'deep'), { recursive: true })
  await app.close()
  const { buildApp } = await import('../src/app.js')
  const pino = (await import('pino')).default
  const again = await buildApp(config, { logger: pino({ level: 'silent' }) })
  t.after(() => again.close())
  await again.ready()
  await assert.rejects(fs.stat(orphan), { code: 'ENOENT' })
  await assert.rejects(fs.stat(trashed), { code: 'ENOENT' })
  assert.ok((await fs.stat(path.join(config.dataDir, 'workspaces', id))).isDirectory())
  const got = await again.inject({ method: 'GET', url: `/v1/workspaces/${id}` })
  assert.equal(got.statusCode, 200)
})
