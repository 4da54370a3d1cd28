import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createWorkspace } from '../helpers/app.js'
import { createSandbox, sandboxApp } from '../helpers/sandbox.js'

/*
 * Bad network policies are refused with the right code before anything is
 * written, and a policy only changes where it can.
 */

const TIMEOUT = { timeout: 120_000 }

async function create(app: FastifyInstance, body: Record<string, unknown>) {
  const response = await app.inject({ method: 'POST', url: '/v1/sandboxes', payload: body })
  return { status: response.statusCode, json: response.json() }
}

test(
  'bad policies at create: 400 code 1001 naming the problem, and no sandbox',
  TIMEOUT,
  async (t) => {
    const { app } = await sandboxApp(t)
    const workspace_id = await createWorkspace(app)
    const cases: Array<[unknown, RegExp | null]> = [
      [{ mode: 'everything' }, null],
      [
        { mode: 'allowlist', allow: ['bad host.example.com'] },
        /"bad host\.example\.com" is no valid host name/,
      ],
      [{ mode: 'allowlist', allow: ['api.example.com:99999'] }, /port "99999"/],
      [{ mode: 'allowlist', allow: ['10.0.0.0/33'] }, /no valid address or CIDR/],
      [{ mode: 'allowlist', allow: ['*.*.example.com'] }, /no valid host name/],
      [{ mode: 'allowlist', allow: ['[2001:db8::/32'] }, /does not close/],
      [{ mode: 'none', allow: ['api.example.com'] }, /only for mode allowlist, not none/],
      [{ mode: 'open', allow: ['api.example.com'] }, /only for mode allowlist, not open/],
      [{ mode: 'allowlist', extra: true }, null],
    ]
    for (const [network, message] of cases) {
      const { status, json } = await create(app, { workspace_id, network })
      assert.deepEqual([status, json.error.code], [400, 1001], JSON.stringify(network))
      if (message) assert.match(json.error.message, message)
    }
    const disagree = await create(app, {
      workspace_id,
      network_mode: 'bridge',
      network: { mode: 'open' },
    })
    assert.deepEqual([disagree.status, disagree.json.error.code], [400, 1001])
    assert.match(
      disagree.json.error.message,
      /network_mode "bridge" and network.mode "open" differ/,
    )
    const unknownMode = await create(app, { workspace_id, network_mode: 'host' })
    assert.deepEqual([unknownMode.status, unknownMode.json.error.code], [400, 1001])
    const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
    assert.deepEqual(listed.json().sandboxes, [], 'nothing half-written')
  },
)

test(
  'PATCH network: unknown sandbox 404, bad body 400, a sandbox made outside the gateway 400',
  TIMEOUT,
  async (t) => {
    const { app } = await sandboxApp(t)
    const patch = async (id: string, payload: unknown) => {
      const response = await app.inject({
        method: 'PATCH',
        url: `/v1/sandboxes/${id}/network`,
        payload: payload as object,
      })
      return { status: response.statusCode, json: response.json() }
    }
    const missing = await patch('sb_missing', { mode: 'open' })
    assert.deepEqual([missing.status, missing.json.error.code], [404, 2001])
    const missingGet = await app.inject({ method: 'GET', url: '/v1/sandboxes/sb_missing/network' })
    assert.deepEqual([missingGet.statusCode, missingGet.json().error.code], [404, 2001])

    const { sandboxId, sandbox } = await createSandbox(t, app)
    assert.deepEqual(sandbox.network, { mode: 'none', allow: [], denied: { count: 0, recent: [] } })
    assert.equal(sandbox.network_mode, 'none')
    for (const body of [{ mode: 'bogus' }, { allow: [] }, { mode: 'allowlist', allow: ['a b'] }]) {
      const refused = await patch(sandboxId, body)
      assert.deepEqual([refused.status, refused.json.error.code], [400, 1001], JSON.stringify(body))
    }
    const outside = await patch(sandboxId, { mode: 'allowlist', allow: ['api.example.com'] })
    assert.deepEqual([outside.status, outside.json.error.code], [400, 1001])
    assert.match(
      outside.json.error.message,
      /made with network mode none, outside the egress gateway/,
    )
    const after = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/network` })
    assert.deepEqual(after.json(), { mode: 'none', allow: [], denied: { count: 0, recent: [] } })
  },
)
