import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '../src/config/index.js'
import { testApp } from './helpers/app.js'
import {
  KEY,
  auth,
  workspace,
  put,
  mint,
  local,
  content,
  assertError,
} from './helpers/file-tokens.js'

test('a download token opens files/content by header (Bearer or bare) and by query parameter', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  await put(app, id, 'dir/a.txt', 'hello tokens')
  const minted = await mint(app, id, { path: './dir//a.txt', operation: 'download' })
  assert.equal(minted.statusCode, 201, minted.body)
  const body = minted.json()
  assert.match(body.token, /^wm1\./)
  assert.equal(body.operation, 'download')
  assert.equal(body.path, 'dir/a.txt')
  assert.equal(body.header, 'authorization')
  assert.equal(body.query_param, 'token')
  const expires = Date.parse(body.expires_at) - Date.now()
  assert.ok(expires > 890_000 && expires <= 902_000, `expires in ${expires} ms`)
  assert.equal(
    body.url,
    `http://localhost:80/v1/workspaces/${id}/files/content?path=dir%2Fa.txt&token=${body.token}`,
  )

  const viaQuery = await app.inject({ method: 'GET', url: local(body.url) })
  assert.equal(viaQuery.statusCode, 200, viaQuery.body)
  assert.equal(viaQuery.body, 'hello tokens')
  for (const value of [`Bearer ${body.token}`, body.token]) {
    const viaHeader = await app.inject({
      method: 'GET',
      url: content(id, 'dir/a.txt'),
      headers: { authorization: value },
    })
    assert.equal(viaHeader.statusCode, 200, viaHeader.body)
    assert.equal(viaHeader.body, 'hello tokens')
  }
  // The same path written another way is the same file.
  const respelled = await app.inject({
    method: 'GET',
    url: content(id, 'dir/./a.txt/', `&token=${body.token}`),
  })
  assert.equal(respelled.statusCode, 200, respelled.body)
})

test('WORKSPACE_UPLOAD_TOKEN_HEADER and WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM name where the token goes', async (t) => {
  const { app } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_UPLOAD_TOKEN_HEADER: 'X-Upload-Token',
    WORKSPACE_UPLOAD_TOKEN_QUERY_PARAM: 'dl',
  })
  const id = await workspace(app)
  await put(app, id, 'f.txt', 'custom names')
  const body = (await mint(app, id, { path: 'f.txt', operation: 'download' })).json()
  assert.equal(body.header, 'x-upload-token')
  assert.equal(body.query_param, 'dl')
  assert.ok(body.url.endsWith(`?path=f.txt&dl=${body.token}`), body.url)

  const viaQuery = await app.inject({ method: 'GET', url: local(body.url) })
  assert.equal(viaQuery.body, 'custom names')
  const viaHeader = await app.inject({
    method: 'GET',
    url: content(id, 'f.txt'),
    headers: { 'x-upload-token': `Bearer ${body.token}` },
  })
  assert.equal(viaHeader.body, 'custom names')
  // The default names no longer carry a token: the request needs the API key.
  const oldQuery = await app.inject({
    method: 'GET',
    url: content(id, 'f.txt', `&token=${body.token}`),
  })
  assertError(oldQuery, 401, 1002)
  const oldHeader = await app.inject({
    method: 'GET',
    url: content(id, 'f.txt'),
    headers: { authorization: `Bearer ${body.token}` },
  })
  assertError(oldHeader, 401, 1002)
})

test('an upload token writes the file through PUT files/content', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const body = (await mint(app, id, { path: 'up/new.bin', operation: 'upload' })).json()
  const uploaded = await app.inject({
    method: 'PUT',
    url: local(body.url),
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.from('uploaded without the key'),
  })
  assert.equal(uploaded.statusCode, 201, uploaded.body)
  assert.equal(uploaded.json().path, 'up/new.bin')
  const read = await app.inject({ method: 'GET', url: content(id, 'up/new.bin'), headers: auth })
  assert.equal(read.body, 'uploaded without the key')
  // By header too.
  const again = await app.inject({
    method: 'PUT',
    url: content(id, 'up/new.bin'),
    headers: { authorization: `Bearer ${body.token}`, 'content-type': 'text/plain' },
    payload: 'second',
  })
  assert.equal(again.statusCode, 201, again.body)
})

test('a token is good only for its workspace, path and operation; a forged one is 401 6001', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const other = await workspace(app)
  await put(app, id, 'a.txt', 'a')
  await put(app, id, 'b.txt', 'b')
  await put(app, other, 'a.txt', 'other a')
  const download = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json()
  const upload = (await mint(app, id, { path: 'a.txt', operation: 'upload' })).json()

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  // Another path, another workspace.
  assertError(
    await app.inject({ method: 'GET', url: content(id, 'b.txt'), headers: bearer(download.token) }),
    401,
    6001,
  )
  assertError(
    await app.inject({
      method: 'GET',
      url: content(other, 'a.txt'),
      headers: bearer(download.token),
    }),
    401,
    6001,
  )
  // Another operation, both ways round.
  assertError(
    await app.inject({
      method: 'PUT',
      url: content(id, 'a.txt'),
      headers: bearer(download.token),
      payload: 'overwrite',
    }),
    401,
    6001,
  )
  assertError(
    await app.inject({ method: 'GET', url: content(id, 'a.txt'), headers: bearer(upload.token) }),
    401,
    6001,
  )
  // A path that could never be right, and two paths at once.
  assertError(
    await app.inject({
      method: 'GET',
      url: content(id, '../a.txt'),
      headers: bearer(download.token),
    }),
    401,
    6001,
  )
  assertError(
    await app.inject({
      method: 'GET',
      url: `${content(id, 'a.txt')}&path=b.txt`,
      headers: bearer(download.token),
    }),
    401,
    6001,
  )
  // Tampered: claims rewritten for another path (old signature), a flipped signature, garbage.
  const [prefix, claims, mac] = download.token.split('.') as [string, string, string]
  const rewritten = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), path: 'b.txt' }),
  ).toString('base64url')
  const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`
  for (const [file, token] of [
    ['b.txt', `${prefix}.${rewritten}.${mac}`],
    ['a.txt', `${prefix}.${claims}.${flipped}`],
    ['a.txt', 'not-a-token'],
  ] as const) {
    const response = await app.inject({
      method: 'GET',
      url: content(id, file, `&token=${encodeURIComponent(token)}`),
    })
    assertError(response, 401, 6001)
  }
  // Nothing was overwritten by the refused upload.
  const read = await app.inject({ method: 'GET', url: content(id, 'a.txt'), headers: auth })
  assert.equal(read.body, 'a')
})

test('a file token opens nothing but files/content, and minting needs the API key', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const token = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json().token
  for (const url of [
    `/v1/workspaces/${id}/files?path=&token=${token}`,
    `/v1/workspaces/${id}/files/info?path=a.txt&token=${token}`,
    `/v1/workspaces/${id}?token=${token}`,
  ]) {
    assertError(await app.inject({ method: 'GET', url }), 401, 1002)
  }
  const noKey = await app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/tokens`,
    headers: { authorization: `Bearer ${token}` },
    payload: { path: 'a.txt', operation: 'upload' },
  })
  assertError(noKey, 401, 1002)
  // Deleting with a download token: not a token route, so the API key is required.
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/workspaces/${id}/files?path=a.txt&token=${token}`,
  })
  assertError(del, 401, 1002)
})

test('minting checks the workspace, the path and the operation', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  assertError(await mint(app, 'ws_missing', { path: 'a', operation: 'download' }), 404, 7001)
  assertError(await mint(app, id, { path: '../a', operation: 'download' }), 403, 5006)
  assertError(await mint(app, id, { path: '/etc/passwd', operation: 'download' }), 403, 5006)
  assertError(await mint(app, id, { path: 'a', operation: 'delete' }), 400, 1001)
  assertError(await mint(app, id, { path: 'a' }), 400, 1001)
  assertError(await mint(app, id, { path: 'a', operation: 'upload', extra: 1 }), 400, 1001)
})

test('an expired token is 410 6002 (WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS)', async (t) => {
  const { app } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_UPLOAD_TOKEN_TTL_SECONDS: '1',
  })
  const id = await workspace(app)
  await put(app, id, 'a.txt', 'a')
  const body = (await mint(app, id, { path: 'a.txt', operation: 'download' })).json()
  const lifetime = Date.parse(body.expires_at) - Date.now()
  assert.ok(lifetime > 0 && lifetime <= 2000, `lifetime ${lifetime} ms`)
  assert.equal((await app.inject({ method: 'GET', url: local(body.url) })).statusCode, 200)
  await sleep(lifetime + 1100)
  assertError(await app.inject({ method: 'GET', url: local(body.url) }), 410, 6002)
  const upload = (await mint(app, id, { path: 'a.txt', operation: 'upload' })).json()
  await sleep(Date.parse(upload.expires_at) - Date.now() + 1100)
  assertError(
    await app.inject({ method: 'PUT', url: local(upload.url), payload: 'late' }),
    410,
    6002,
  )
})

test('the token URL is built on WORKSPACE_PUBLIC_BASE_URL when set, else on the request origin', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: KEY })
  const id = await workspace(app)
  const fromRequest = (
    await mint(app, id, { path: 'x y.txt', operation: 'upload' }, { host: 'files.internal:9443' })
  ).json()
  assert.ok(
    fromRequest.url.startsWith(
      `http://files.internal:9443/v1/workspaces/${id}/files/content?path=x+y.txt&token=`,
    ),
    fromRequest.url,
  )

  const { app: fronted } = await testApp(t, {
    WORKSPACE_API_KEY: KEY,
    WORKSPACE_PUBLIC_BASE_URL: 'https://wm.example.com/api/',
  })
  const fid = await workspace(fronted)
  const fromBase = (
    await mint(fronted, fid, { path: 'a.txt', operation: 'download' }, { host: 'ignored:1' })
  ).json()
  assert.ok(
    fromBase.url.startsWith(`https://wm.example.com/api/v1/workspaces/${fid}/files/content?`),
    fromBase.url,
  )
  assert.throws(
    () => loadConfig({ WORKSPACE_PUBLIC_BASE_URL: 'ftp://wm.example.com' }),
    /WORKSPACE_PUBLIC_BASE_URL/,
  )
  assert.throws(
    () => loadConfig({ WORKSPACE_PUBLIC_BASE_URL: 'not a url' }),
    /WORKSPACE_PUBLIC_BASE_URL/,
  )
})
