/** Shared helpers of the file-token tests: a keyed app, workspaces, minting. */
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'

export const KEY = 'file-token-test-key'
export const auth = { 'x-api-key': KEY }

export async function workspace(app: FastifyInstance): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/workspaces',
    headers: auth,
    payload: { name: 'tokens' },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<{ id: string }>().id
}

export async function put(
  app: FastifyInstance,
  id: string,
  file: string,
  body: string,
): Promise<void> {
  const response = await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    payload: body,
  })
  assert.equal(response.statusCode, 201, response.body)
}

export async function mint(
  app: FastifyInstance,
  id: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: `/v1/workspaces/${id}/files/tokens`,
    headers: { ...auth, ...headers },
    payload: body,
  })
}

/** The path and query of a URL, for app.inject. */
export function local(url: string): string {
  const parsed = new URL(url)
  return `${parsed.pathname}${parsed.search}`
}

export function content(id: string, file: string, extra = ''): string {
  return `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}${extra}`
}

export function assertError(
  response: { statusCode: number; json: () => any },
  status: number,
  code: number,
) {
  assert.equal(response.statusCode, status)
  assert.equal(response.json().error.code, code)
}
