/**
 * The route schemas are JSON Schema draft-07 (what Ajv validates with); the
 * document at `/openapi.json` is OpenAPI 3.0, whose Schema Object is an
 * older dialect. @fastify/swagger converts most of the difference (`null`
 * types, `const`, `patternProperties`); this finishes the job for the
 * keywords it leaves as they are.
 */

type Json = unknown

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Rewrites one schema object in place; children are handled by the caller's walk. */
function convertKeywords(schema: Record<string, Json>): void {
  // draft-07: `exclusiveMinimum: 0`; OpenAPI 3.0: `minimum: 0, exclusiveMinimum: true`.
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const value = schema[exclusive]
    if (typeof value === 'number') {
      schema[bound] = value
      schema[exclusive] = true
    }
  }
  // OpenAPI 3.0 cannot constrain the keys of a map; the extension keeps the constraint readable.
  if ('propertyNames' in schema) {
    schema['x-propertyNames'] = schema.propertyNames
    delete schema.propertyNames
  }
}

/** Names whose value maps names to schemas (or to objects holding schemas), not a schema itself. */
const MAPS = new Set(['properties', 'paths', 'responses', 'content', 'schemas', 'parameters'])

function walk(node: Json, isMap = false): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item)
    return
  }
  if (!isObject(node)) return
  if (!isMap) convertKeywords(node)
  for (const [key, value] of Object.entries(node)) {
    // Extensions, examples and enums hold data, not schemas.
    if (key.startsWith('x-') || key === 'example' || key === 'examples' || key === 'enum') continue
    walk(value, !isMap && MAPS.has(key))
  }
}

/**
 * Route-schema key marking a body the route may go without (it defaults to
 * `{}`); @fastify/swagger would otherwise document every body as required.
 */
export const OPTIONAL_BODY = 'x-optional-body'

function markOptionalBodies(document: Json): void {
  const paths = isObject(document) && isObject(document.paths) ? document.paths : {}
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !(OPTIONAL_BODY in operation)) continue
      delete operation[OPTIONAL_BODY]
      if (isObject(operation.requestBody)) operation.requestBody.required = false
    }
  }
}

/** Makes the document @fastify/swagger generated valid OpenAPI 3.0 (in place; returns it). */
export function toOpenApi30<T>(document: T): T {
  markOptionalBodies(document)
  walk(document)
  return document
}
