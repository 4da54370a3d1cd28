import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WorkspaceClient, WorkspaceNotFoundError } from '../src/index.js'
import {
  replyJson,
  startTestServer,
  useCannedApi,
  wireFileInfo,
  wireWorkspace,
} from './support/test-server.js'

const api = useCannedApi({ apiKey: 'k-123' })

describe('workspaces', () => {
  test('create sends name and metadata and returns camelCase, metadata keys untouched', async () => {
    api.reply = () => [201, wireWorkspace('ws1', { nfs_url: 'nfs://h/ws1' })]
    const ws = await api.client.workspace.create({ name: 'demo', metadata: { owner_name: 'ann' } })
    assert.deepEqual(ws, {
      id: 'ws1',
      name: 'demo',
      metadata: { owner_name: 'ann' },
      nfsUrl: 'nfs://h/ws1',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    })
    const request = api.only()
    assert.equal(request.method, 'POST')
    assert.equal(request.url.pathname, '/v1/workspaces')
    assert.equal(request.headers['x-api-key'], 'k-123')
    assert.equal(request.headers['content-type'], 'application/json')
    assert.deepEqual(JSON.parse(request.body.toString()), {
      name: 'demo',
      metadata: { owner_name: 'ann' },
    })
  })

  test('create with no parameters sends an empty object', async () => {
    api.reply = () => [201, wireWorkspace()]
    await api.client.workspace.create()
    assert.deepEqual(JSON.parse(api.only().body.toString()), {})
  })

  test('get encodes the id; list unwraps; delete answers nothing', async () => {
    api.reply = () => [200, wireWorkspace('a b')]
    assert.equal((await api.client.workspace.get('a b')).id, 'a b')
    assert.equal(api.only().url.pathname, '/v1/workspaces/a%20b')

    api.server.requests.length = 0
    api.reply = () => [200, { workspaces: [wireWorkspace('w1'), wireWorkspace('w2')] }]
    assert.deepEqual(
      (await api.client.workspace.list()).map((w) => w.id),
      ['w1', 'w2'],
    )

    api.server.requests.length = 0
    api.reply = () => [204, null]
    assert.equal(await api.client.workspace.delete('w1'), undefined)
    assert.equal(api.only().method, 'DELETE')
  })
})

describe('files', () => {
  test('listFiles asks for the root by default and returns camelCase entries', async () => {
    api.reply = () => [200, { files: [wireFileInfo('a.txt')] }]
    const files = await api.client.workspace.listFiles('ws1')
    assert.deepEqual(files[0], {
      name: 'a.txt',
      path: 'a.txt',
      type: 'file',
      size: 3,
      modifiedAt: '2026-11-24T10:00:00.000Z',
    })
    const request = api.only()
    assert.equal(request.url.pathname, '/v1/workspaces/ws1/files')
    assert.equal(request.url.searchParams.get('path'), '')
  })

  test('writeFile PUTs raw bytes with parents=true by default', async () => {
    api.reply = () => [201, wireFileInfo('dir/é.txt', 5)]
    const info = await api.client.workspace.writeFile('ws1', 'dir/é.txt', 'héllo')
    assert.equal(info.path, 'dir/é.txt')
    const request = api.only()
    assert.equal(request.method, 'PUT')
    assert.equal(request.url.pathname, '/v1/workspaces/ws1/files/content')
    assert.equal(request.url.searchParams.get('path'), 'dir/é.txt')
    assert.equal(request.url.searchParams.get('parents'), 'true')
    assert.equal(request.headers['content-type'], 'application/octet-stream')
    assert.equal(request.headers['content-length'], String(Buffer.byteLength('héllo')))
    assert.equal(request.body.toString('utf8'), 'héllo')
  })

  test('writeFile passes parents=false through', async () => {
    api.reply = () => [201, wireFileInfo()]
    await api.client.workspace.writeFile('ws1', 'a.txt', new Uint8Array([1, 2]), { parents: false })
    assert.equal(api.only().url.searchParams.get('parents'), 'false')
  })

  test('readFile decodes UTF-8 and readFileBytes returns a Uint8Array', async () => {
    api.reply = () => [200, 'ignored']
    const bytes = Buffer.from([0xe2, 0x82, 0xac, 0x00, 0xff])
    const raw = await startTestServer((_req, res) => {
      res.end(bytes)
    })
    const rawClient = new WorkspaceClient({ apiUrl: raw.url, env: {} })
    try {
      const read = await rawClient.workspace.readFileBytes('ws1', 'x.bin')
      assert.equal(read.constructor, Uint8Array)
      assert.deepEqual(read, new Uint8Array(bytes))
      assert.equal((await rawClient.workspace.readFile('ws1', 'x.bin')).slice(0, 1), '€')
      assert.equal(raw.requests[0]?.url.pathname, '/v1/workspaces/ws1/files/content')
      assert.equal(raw.requests[0]?.url.searchParams.get('path'), 'x.bin')
    } finally {
      rawClient.close()
      await raw.close()
    }
  })

  test('mkdir, copyFile and moveFile send their JSON bodies with defaults', async () => {
    api.reply = () => [201, wireFileInfo('d')]
    await api.client.workspace.mkdir('ws1', 'd')
    await api.client.workspace.mkdir('ws1', 'e/f', { parents: true })
    await api.client.workspace.copyFile('ws1', 'a', 'b')
    await api.client.workspace.moveFile('ws1', 'b', 'c', { overwrite: true })
    const sent = api.server.requests.map((r) => [r.url.pathname, JSON.parse(r.body.toString())])
    assert.deepEqual(sent, [
      ['/v1/workspaces/ws1/files/mkdir', { path: 'd', parents: false }],
      ['/v1/workspaces/ws1/files/mkdir', { path: 'e/f', parents: true }],
      ['/v1/workspaces/ws1/files/copy', { source: 'a', destination: 'b', overwrite: false }],
      ['/v1/workspaces/ws1/files/move', { source: 'b', destination: 'c', overwrite: true }],
    ])
  })

  test('deleteFile sends path and recursive in the query', async () => {
    api.reply = () => [204, null]
    await api.client.workspace.deleteFile('ws1', 'd', { recursive: true })
    const request = api.only()
    assert.equal(request.method, 'DELETE')
    assert.equal(request.url.search, '?path=d&recursive=true')
  })

  test('getFileInfo and exists', async () => {
    api.reply = () => [200, wireFileInfo('a.txt')]
    assert.equal((await api.client.workspace.getFileInfo('ws1', 'a.txt')).name, 'a.txt')
    assert.equal(await api.client.workspace.exists('ws1', 'a.txt'), true)
    api.reply = () => [404, 5001]
    assert.equal(await api.client.workspace.exists('ws1', 'missing'), false)
    api.reply = () => [404, 7001]
    await assert.rejects(api.client.workspace.exists('nope', 'a.txt'), WorkspaceNotFoundError)
  })
})

test('no API key header is sent when none is configured', async () => {
  api.reply = () => [200, { workspaces: [] }]
  const anonymous = new WorkspaceClient({ apiUrl: api.server.url, env: {} })
  await anonymous.workspace.list()
  assert.equal(api.only().headers['x-api-key'], undefined)
  anonymous.close()
})

test('a custom API key header is honoured', async () => {
  api.reply = () => [200, { workspaces: [] }]
  const custom = new WorkspaceClient({
    apiUrl: api.server.url,
    env: { WORKSPACE_API_KEY: 'from-env', WORKSPACE_API_KEY_HEADER: 'Authorization' },
  })
  await custom.workspace.list()
  assert.equal(api.only().headers.authorization, 'from-env')
  custom.close()
})

test('connections are kept alive between requests', async () => {
  const ports = new Set<number>()
  const tracking = await startTestServer((_req, res) => {
    ports.add(res.socket?.remotePort ?? 0)
    replyJson(res, 200, { workspaces: [] })
  })
  const c = new WorkspaceClient({ apiUrl: tracking.url, env: {} })
  for (let i = 0; i < 3; i++) await c.workspace.list()
  assert.equal(ports.size, 1)
  c.close()
  await tracking.close()
})
