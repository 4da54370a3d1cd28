import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createWorkspace, testApp } from './helpers/app.js'

type Schema = Record<string, unknown> & { properties?: Record<string, Schema> }
interface Operation {
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }
  responses: Record<string, { content?: Record<string, unknown> }>
  parameters?: Array<{ name: string; in: string; schema: Schema }>
}

async function operation(app: FastifyInstance, path: string, method: string): Promise<Operation> {
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, Operation>>
  }>()
  const found = spec.paths[path]?.[method]
  assert.ok(found, `${method} ${path} is not documented`)
  return found
}

function bodySchema(op: Operation): Schema {
  const schema = op.requestBody?.content['application/json']?.schema
  assert.ok(schema)
  return schema
}

async function post(app: FastifyInstance, url: string, payload: unknown) {
  const response = await app.inject({ method: 'POST', url, payload: payload as object })
  return { status: response.statusCode, code: response.json().error?.code as number | undefined }
}

test('bodies a route may go without are documented as optional', async (t) => {
  const { app } = await testApp(t)
  assert.equal((await operation(app, '/v1/workspaces', 'post')).requestBody?.required, false)
  const checkpoint = await operation(app, '/v1/sandboxes/{id}/checkpoints', 'post')
  assert.equal(checkpoint.requestBody?.required, false)
  assert.equal((await operation(app, '/v1/sandboxes', 'post')).requestBody?.required, true)
  const bodiless = await app.inject({ method: 'POST', url: '/v1/workspaces' })
  assert.equal(bodiless.statusCode, 201)
})

test('a JSON null is no optional body: 400, not an empty create', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: { 'content-type': 'application/json' },
    payload: 'null',
  })
  assert.equal(response.statusCode, 400, response.body)
  assert.equal(response.json().error.code, 1001)
})

test('a create names one of the loaded application kinds, as the document lists them', async (t) => {
  const { app } = await testApp(t)
  const create = bodySchema(await operation(app, '/v1/sandboxes', 'post'))
  const kind = create.properties?.application_kind
  assert.deepEqual(kind?.enum, ['splunk'])
  assert.equal(kind?.nullable, true)
  const workspaceId = await createWorkspace(app)
  for (const name of ['', 'nope']) {
    const body = { workspace_id: workspaceId, application_kind: name }
    assert.deepEqual(await post(app, '/v1/sandboxes', body), { status: 400, code: 1001 }, name)
  }
  const splunk = { workspace_id: 'ws_none', application_kind: 'splunk' }
  assert.deepEqual(await post(app, '/v1/sandboxes', splunk), { status: 404, code: 7001 })
})

test('exclusive bounds are OpenAPI 3.0 booleans, and the server keeps them', async (t) => {
  const { app } = await testApp(t)
  const run = bodySchema(await operation(app, '/v1/sandboxes/{id}/processes', 'post'))
  const timeout = run.properties?.timeout as Schema
  assert.equal(timeout.minimum, 0)
  assert.equal(timeout.exclusiveMinimum, true)
  // A Splunk search's timeout starts at one second, inclusive.
  const search = bodySchema(await operation(app, '/v1/sandboxes/{id}/splunk/search', 'post'))
  const searchTimeout = search.properties?.timeout as Schema
  assert.deepEqual([searchTimeout.minimum, searchTimeout.exclusiveMinimum], [1, undefined])
  // Validated before the sandbox is looked up: 400, not 404.
  assert.deepEqual(await post(app, '/v1/sandboxes/sb_none/processes', { cmd: 'x', timeout: 0 }), {
    status: 400,
    code: 1001,
  })
})

test('key rules of env and metadata maps travel as x-propertyNames and are enforced', async (t) => {
  const { app } = await testApp(t)
  const workspace = bodySchema(await operation(app, '/v1/workspaces', 'post'))
  assert.deepEqual(workspace.properties?.metadata?.['x-propertyNames'], {
    minLength: 1,
    maxLength: 128,
  })
  const sandbox = bodySchema(await operation(app, '/v1/sandboxes', 'post'))
  assert.deepEqual(sandbox.properties?.env?.['x-propertyNames'], {
    pattern: '^[A-Za-z_][A-Za-z0-9_]{0,255}$',
  })
  assert.deepEqual(await post(app, '/v1/workspaces', { metadata: { '': 'x' } }), {
    status: 400,
    code: 1001,
  })
  const env = { workspace_id: 'ws_none', env: { 'A=B': 'x' } }
  assert.deepEqual(await post(app, '/v1/sandboxes', env), { status: 400, code: 1001 })
})

test('strings the agent or engine would refuse are refused by the schema, before any lookup', async (t) => {
  const { app } = await testApp(t)
  const cases: Array<[string, unknown]> = [
    ['/v1/sandboxes/sb_none/processes', { cmd: 'a\u0000b' }],
    ['/v1/sandboxes/sb_none/processes', { cmd: 'ls', args: ['\u0000'] }],
    ['/v1/sandboxes/sb_none/processes', { cmd: 'ls', cwd: '/tmp\u0000' }],
  ]
  for (const [url, payload] of cases) {
    assert.deepEqual(await post(app, url, payload), { status: 400, code: 1001 }, url)
  }
})

test('the document gives the shapes of cpu and memory strings, which the server keeps', async (t) => {
  const { app } = await testApp(t)
  const create = bodySchema(await operation(app, '/v1/sandboxes', 'post'))
  const patternOf = (name: string) =>
    (create.properties?.[name]?.anyOf as Schema[] | undefined)?.find((b) => b.type === 'string')
      ?.pattern as string
  const cpu = new RegExp(patternOf('cpu'))
  const memory = new RegExp(patternOf('memory'))
  for (const good of ['1', '0.5c', '1500m', ' 2C ']) assert.match(good, cpu)
  for (const good of ['512m', '1.5g', '64MiB', '1048576', '2 GB']) assert.match(good, memory)
  const workspaceId = await createWorkspace(app)
  // Shapes outside the pattern are refused with the service's own words.
  for (const [field, value, words] of [
    ['cpu', '', /expected cores like/],
    ['cpu', 'two', /expected cores like/],
    ['memory', '1 gallon', /expected a size like/],
  ] as const) {
    assert.doesNotMatch(value, field === 'cpu' ? cpu : memory)
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, [field]: value },
    })
    assert.equal(response.statusCode, 400, response.body)
    assert.match(response.json().error.message, words)
  }
})

test('workspace paths carry the name limit in the schema', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)
  const info = await operation(app, '/v1/workspaces/{id}/files/info', 'get')
  const path = info.parameters?.find((p) => p.name === 'path')?.schema
  assert.equal(path?.pattern, '^[^/]{0,255}(/[^/]{0,255})*$')
  const long = `a/${'n'.repeat(256)}`
  const response = await app.inject({ url: `/v1/workspaces/${id}/files/info?path=${long}` })
  assert.equal(response.statusCode, 400)
  assert.match(response.json().error.message, /querystring\/path must match pattern/)
  assert.deepEqual(
    await post(app, `/v1/workspaces/${id}/files/tokens`, { path: long, operation: 'upload' }),
    { status: 400, code: 1001 },
  )
})

test('copying a missing source is 404 5001 even when the destination lies inside it', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)
  for (const op of ['copy', 'move']) {
    const missing = { source: 'gone', destination: 'gone/inner' }
    assert.deepEqual(await post(app, `/v1/workspaces/${id}/files/${op}`, missing), {
      status: 404,
      code: 5001,
    })
  }
})

test('replies that are not JSON are documented with their content type', async (t) => {
  const { app } = await testApp(t)
  const content = await operation(app, '/v1/workspaces/{id}/files/content', 'get')
  assert.deepEqual(Object.keys(content.responses['200']?.content ?? {}), [
    'application/octet-stream',
  ])
  const output = await operation(app, '/v1/sandboxes/{id}/processes/{pid}/output', 'get')
  assert.deepEqual(Object.keys(output.responses['200']?.content ?? {}), ['text/event-stream'])
  const run = await operation(app, '/v1/sandboxes/{id}/processes', 'post')
  assert.deepEqual(Object.keys(run.responses['200']?.content ?? {}).sort(), [
    'application/json',
    'application/octet-stream',
    'text/event-stream',
  ])
  const metrics = await operation(app, '/metrics', 'get')
  assert.deepEqual(Object.keys(metrics.responses['200']?.content ?? {}), ['text/plain'])
})

test('the port proxy documents its redirect, its passed-through replies and a port range', async (t) => {
  const { app } = await testApp(t)
  const redirect = await operation(app, '/v1/sandboxes/{id}/proxy/{port}', 'get')
  assert.ok(redirect.responses['308'])
  assert.equal(redirect.responses['200'], undefined)
  const proxied = await operation(app, '/v1/sandboxes/{id}/proxy/{port}/{*}', 'get')
  assert.ok(proxied.responses.default)
  assert.ok(proxied.responses['502'])
  for (const port of ['0', '65536', '99999']) {
    const response = await app.inject({ url: `/v1/sandboxes/sb_none/proxy/${port}/` })
    assert.equal(response.statusCode, 400, port)
    assert.match(response.json().error.message, /params\/port must match pattern/)
  }
})

test('an over-long path of four-byte characters in the query is 400, not a bare 431', async (t) => {
  const { app } = await testApp(t)
  const id = await createWorkspace(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  // 4097 characters of four bytes, 48 KiB percent-encoded: past Node's default header limit.
  const path = encodeURIComponent('😀/'.repeat(2048) + '😀')
  const response = await fetch(
    `http://127.0.0.1:${port}/v1/workspaces/${id}/files/info?path=${path}`,
  )
  assert.equal(response.status, 400)
  assert.equal(((await response.json()) as { error: { code: number } }).error.code, 1001)
})
