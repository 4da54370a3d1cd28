import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Validator } from '@seriousme/openapi-schema-validator'
import { testApp } from './helpers/app.js'

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> }

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

/** Every documented operation as `[label, operation]`. */
function operations(spec: Document): Array<[string, Operation]> {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  )
}

test('/openapi.json is a valid OpenAPI 3.0 document', async (t) => {
  const { app } = await testApp(t)
  const response = await app.inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(response.statusCode, 200)
  const spec = response.json<Document>()
  assert.match(spec.openapi, /^3\.0\.\d+$/)
  const validator = new Validator()
  const result = await validator.validate(structuredClone(spec))
  assert.deepEqual(result.errors ?? [], [])
  assert.equal(result.valid, true)
})

test('/openapi.json gives every error status of every route the one error envelope', async (t) => {
  const { app } = await testApp(t)
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>()
  const ops = operations(spec)
  assert.ok(ops.length > 20, `only ${ops.length} operations documented`)
  for (const [label, op] of ops) {
    const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400)
    for (const [status, response] of errors) {
      const schema = response.content?.['application/json']?.schema as
        { properties?: { error?: { required?: string[] } } } | undefined
      assert.deepEqual(
        schema?.properties?.error?.required?.sort(),
        ['code', 'message'],
        `${label} ${status} is not the error envelope`,
      )
    }
    // Every /v1 route validates its input (400) and can fail inside (500).
    if (label.includes(' /v1/')) {
      for (const status of ['400', '500']) {
        assert.ok(op.responses[status], `${label} does not document ${status}`)
      }
    }
  }
})
