import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createWorkspace, testApp } from './helpers/app.js'

function put(
  app: FastifyInstance,
  id: string,
  filePath: string,
  body: string | Buffer,
  query = '',
) {
  return app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(filePath)}${query}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  })
}

function get(app: FastifyInstance, id: string, route: string, filePath: string) {
  return app.inject({
    method: 'GET',
    url: `/v1/workspaces/${id}/${route}?path=${encodeURIComponent(filePath)}`,
  })
}

test('write, read, info, list, mkdir, copy, move and delete over HTTP', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)

  const written = await put(app, id, 'src/main.py', 'print("hello")')
  assert.equal(written.statusCode, 201)
  const info = written.json()
  assert.equal(info.name, 'main.py')
  assert.equal(info.path, 'src/main.py')
  assert.equal(info.type, 'file')
  assert.equal(info.size, 14)
  assert.ok(info.modified_at)

  const read = await get(app, id, 'files/content', 'src/main.py')
  assert.equal(read.statusCode, 200)
  assert.equal(read.headers['content-type'], 'application/octet-stream')
  assert.equal(read.headers['content-length'], '14')
  assert.equal(read.body, 'print("hello")')

  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  assert.equal((await put(app, id, 'bin/all.bin', bytes)).statusCode, 201)
  assert.deepEqual((await get(app, id, 'files/content', 'bin/all.bin')).rawPayload, bytes)

  const mkdir = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/mkdir`,
    payload: { path: 'src/components' },
  })
  assert.equal(mkdir.statusCode, 201)
  assert.equal(mkdir.json().type, 'directory')

  const listed = await get(app, id, 'files', 'src')
  assert.deepEqual(
    listed.json().files.map((f: { name: string; type: string }) => [f.name, f.type]),
    [
      ['components', 'directory'],
      ['main.py', 'file'],
    ],
  )
  const root = await app.inject({ method: 'GET', url: `/v1/workspaces/${id}/files` })
  assert.deepEqual(
    root.json().files.map((f: { name: string }) => f.name),
    ['bin', 'src'],
  )

  const copied = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/copy`,
    payload: { source: 'src', destination: 'src-copy' },
  })
  assert.equal(copied.statusCode, 201)
  assert.equal((await get(app, id, 'files/content', 'src-copy/main.py')).body, 'print("hello")')

  const moved = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/move`,
    payload: { source: 'src-copy/main.py', destination: 'old.py' },
  })
  assert.equal(moved.statusCode, 200)
  assert.equal(moved.json().path, 'old.py')
  assert.equal((await get(app, id, 'files/info', 'src-copy/main.py')).statusCode, 404)

  const removed = await app.inject({
    method: 'DELETE',
    url: `/v1/workspaces/${id}/files?path=old.py`,
  })
  assert.equal(removed.statusCode, 204)
  const notEmpty = await app.inject({
    method: 'DELETE',
    url: `/v1/workspaces/${id}/files?path=src`,
  })
  assert.equal(notEmpty.statusCode, 409)
  const recursive = await app.inject({
    method: 'DELETE',
    url: `/v1/workspaces/${id}/files?path=src&recursive=true`,
  })
  assert.equal(recursive.statusCode, 204)
  assert.equal((await get(app, id, 'files/info', 'src')).statusCode, 404)
})

test('an empty upload creates an empty file', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)
  const response = await put(app, id, 'empty.txt', '')
  assert.equal(response.statusCode, 201)
  assert.equal(response.json().size, 0)
})

test('uploads accept any content type, or none', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)
  for (const type of ['text/plain', 'application/json', 'image/png']) {
    const response = await app.inject({
      method: 'PUT',
      url: `/v1/workspaces/${id}/files/content?path=f.txt`,
      headers: { 'content-type': type },
      payload: '{"not":"parsed"',
    })
    assert.equal(response.statusCode, 201, type)
  }
  const bare = await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=g.txt`,
    payload: Buffer.from('raw'),
  })
  assert.equal(bare.statusCode, 201)
  assert.equal((await get(app, id, 'files/content', 'g.txt')).body, 'raw')
})

test('bad paths: traversal and absolute are 403 5006, missing 404 5001, over a directory 409', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)
  for (const bad of ['../../etc/passwd', '/etc/passwd', 'a/../../b', '..']) {
    const response = await get(app, id, 'files/content', bad)
    assert.equal(response.statusCode, 403, bad)
    assert.equal(response.json().error.code, 5006, bad)
  }
  const missing = await get(app, id, 'files/content', 'missing.txt')
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().error.code, 5001)
  await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/mkdir`,
    payload: { path: 'd' },
  })
  const overDir = await put(app, id, 'd', 'x')
  assert.equal(overDir.statusCode, 409)
  assert.equal(overDir.json().error.code, 5005)
  const unknownWorkspace = await get(app, 'ws_nope', 'files/content', 'a')
  assert.equal(unknownWorkspace.json().error.code, 7001)
})

test('a symlink planted in the workspace pointing at /etc is never followed', async (t) => {
  const { app, config } = await testApp(t)
  const id = await createWorkspace(app)
  await fs.symlink('/etc', path.join(config.dataDir, 'workspaces', id, 'etc'))
  const listed = await get(app, id, 'files', '')
  assert.deepEqual(
    listed.json().files.map((f: { type: string }) => f.type),
    ['symlink'],
  )
  for (const response of [
    await get(app, id, 'files/content', 'etc/passwd'),
    await get(app, id, 'files', 'etc'),
    await get(app, id, 'files/content', 'etc'),
    await put(app, id, 'etc/evil', 'x'),
  ]) {
    assert.equal(response.statusCode, 403)
    assert.equal(response.json().error.code, 5006)
  }
})

test('an oversized upload is 413 code 1004 and leaves no file behind', async (t) => {
  const { app, config } = await testApp(t, { WM_MAX_FILE_TRANSFER_BYTES: '1024' })
  const id = await createWorkspace(app)
  const declared = await put(app, id, 'big.bin', Buffer.alloc(4096, 1))
  assert.equal(declared.statusCode, 413)
  assert.equal(declared.json().error.code, 1004)
  const exact = await put(app, id, 'ok.bin', Buffer.alloc(1024, 1))
  assert.equal(exact.statusCode, 201)
  const entries = await fs.readdir(path.join(config.dataDir, 'workspaces', id))
  assert.deepEqual(entries, ['ok.bin'])
})
