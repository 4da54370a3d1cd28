import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { WorkspaceClient, WorkspaceNotFoundError } from '../src/index.js'
import {
  replyError,
  replyJson,
  startTestServer,
  wireFileInfo,
  wireWorkspace,
  type RecordedRequest,
  type TestServer,
} from './support/test-server.js'

let server: TestServer
let client: WorkspaceClient
let reply: (request: RecordedRequest) => [number, unknown]

before(async () => {
  server = await startTestServer((request, response) => {
    const [status, body] = reply(request)
    if (status === 204) response.writeHead(204).end()
    else if (status >= 400) replyError(response, status, body as number)
    else replyJson(response, status, body)
  })
  client = new WorkspaceClient({ apiUrl: server.url, apiKey: 'k-123', env: {} })
})

beforeEach(() => {
  server.requests.length = 0
})

after(async () => {
  client.close()
  await server.close()
})

function only(): RecordedRequest {
  assert.equal(server.requests.length, 1)
  return server.requests[0] as RecordedRequest
}

describe('workspaces', () => {
  test('create sends name and metadata and returns camelCase, metadata keys untouched', async () => {
    reply = () => [201, wireWorkspace('ws1', { nfs_url: 'nfs://h/ws1' })]
    const ws = await client.workspace.create({ name: 'demo', metadata: { owner_name: 'ann' } })
    assert.deepEqual(ws, {
      id: 'ws1',
      name: 'demo',
      metadata: { owner_name: 'ann' },
      nfsUrl: 'nfs://h/ws1',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    })
    const request = only()
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
    reply = () => [201, wireWorkspace()]
    await client.workspace.create()
    assert.deepEqual(JSON.parse(only().body.toString()), {})
  })

  test('get encodes the id; list unwraps; delete answers nothing', async () => {
    reply = () => [200, wireWorkspace('a b')]
    assert.equal((await client.workspace.get('a b')).id, 'a b')
    assert.equal(only().url.pathname, '/v1/workspaces/a%20b')

    server.requests.length = 0
    reply = () => [200, { workspaces: [wireWorkspace('w1'), wireWorkspace('w2')] }]
    assert.deepEqual(
      (await client.workspace.list()).map((w) => w.id),
      ['w1', 'w2'],
    )

    server.requests.length = 0
    reply = () => [204, null]
    assert.equal(await client.workspace.delete('w1'), undefined)
    assert.equal(only().method, 'DELETE')
  })
})

describe('files', () => {
  test('listFiles asks for the root by default and returns camelCase entries', async () => {
    reply = () => [200, { files: [wireFileInfo('a.txt')] }]
    const files = await client.workspace.listFiles('ws1')
    assert.deepEqual(files[0], {
      name: 'a.txt',
      path: 'a.txt',
      type: 'file',
      size: 3,
      modifiedAt: '2026-11-24T10:00:00.000Z',
    })
    const request = only()
    assert.equal(request.url.pathname, '/v1/workspaces/ws1/files')
    assert.equal(request.url.searchParams.get('path'), '')
  })

  test('writeFile PUTs raw bytes with parents=true by default', async () => {
    reply = () => [201, wireFileInfo('dir/é.txt', 5)]
    const info = await client.workspace.writeFile('ws1', 'dir/é.txt', 'héllo')
    assert.equal(info.path, 'dir/é.txt')
    const request = only()
    assert.equal(request.method, 'PUT')
    assert.equal(request.url.pathname, '/v1/workspaces/ws1/files/content')
    assert.equal(request.url.searchParams.get('path'), 'dir/é.txt')
    assert.equal(request.url.searchParams.get('parents'), 'true')
    assert.equal(request.headers['content-type'], 'application/octet-stream')
    assert.equal(request.headers['content-length'], String(Buffer.byteLength('héllo')))
    assert.equal(request.body.toString('utf8'), 'héllo')
  })

  test('writeFile passes parents=false through', async () => {
    reply = () => [201, wireFileInfo()]
    await client.workspace.writeFile('ws1', 'a.txt', new Uint8Array([1, 2]), { parents: false })
    assert.equal(only().url.searchParams.get('parents'), 'false')
  })

  test('readFile decodes UTF-8 and readFileBytes returns a Uint8Array', async () => {
    reply = () => [200, 'ignored']
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
    reply = () => [201, wireFileInfo('d')]
    await client.workspace.mkdir('ws1', 'd')
    await client.workspace.mkdir('ws1', 'e/f', { parents: true })
    await client.workspace.copyFile('ws1', 'a', 'b')
    await client.workspace.moveFile('ws1', 'b', 'c', { overwrite: true })
    const sent = server.requests.map((r) => [r.url.pathname, JSON.parse(r.body.toString())])
    assert.deepEqual(sent, [
      ['/v1/workspaces/ws1/files/mkdir', { path: 'd', parents: false }],
      ['/v1/workspaces/ws1/files/mkdir', { path: 'e/f', parents: true }],
      ['/v1/workspaces/ws1/files/copy', { source: 'a', destination: 'b', overwrite: false }],
      ['/v1/workspaces/ws1/files/move', { source: 'b', destination: 'c', overwrite: true }],
    ])
  })

  test('deleteFile sends path and recursive in the query', async () => {
    reply = () => [204, null]
    await client.workspace.deleteFile('ws1', 'd', { recursive: true })
    const request = only()
    assert.equal(request.method, 'DELETE')
    assert.equal(request.url.search, '?path=d&recursive=true')
  })

  test('getFileInfo and exists', async () => {
    reply = () => [200, wireFileInfo('a.txt')]
    assert.equal((await client.workspace.getFileInfo('ws1', 'a.txt')).name, 'a.txt')
    assert.equal(await client.workspace.exists('ws1', 'a.txt'), true)
    reply = () => [404, 5001]
    assert.equal(await client.workspace.exists('ws1', 'missing'), false)
    reply = () => [404, 7001]
    await assert.rejects(client.workspace.exists('nope', 'a.txt'), WorkspaceNotFoundError)
  })
})

test('no API key header is sent when none is configured', async () => {
  reply = () => [200, { workspaces: [] }]
  const anonymous = new WorkspaceClient({ apiUrl: server.url, env: {} })
  await anonymous.workspace.list()
  assert.equal(only().headers['x-api-key'], undefined)
  anonymous.close()
})

test('a custom API key header is honoured', async () => {
  reply = () => [200, { workspaces: [] }]
  const custom = new WorkspaceClient({
    apiUrl: server.url,
    env: { WORKSPACE_API_KEY: 'from-env', WORKSPACE_API_KEY_HEADER: 'Authorization' },
  })
  await custom.workspace.list()
  assert.equal(only().headers.authorization, 'from-env')
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
