import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import type { Config } from '../src/config/index.js'
import { checkPlugin } from '../src/plugins/validate.js'
import { warnOfDefaultsBeyondHost } from '../src/services/host-limits.js'
import { createWorkspace } from './helpers/app.js'
import { containersOf, createSandbox, docker, sandboxApp } from './helpers/sandbox.js'

/** Creates a sandbox with `body`; expects 400 code 1001 and returns its message. */
async function refused(app: FastifyInstance, body: Record<string, unknown>): Promise<string> {
  const workspaceId = await createWorkspace(app)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId, ...body },
  })
  assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`)
  assert.equal(response.json().error.code, 1001)
  return response.json().error.message as string
}

/** Nothing was made: no sandbox row, no container. */
async function assertNothingCreated(app: FastifyInstance, config: Config): Promise<void> {
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(listed.json().sandboxes, [])
  assert.deepEqual(await containersOf(config), [])
}

test('a template that is no image reference is 400 1001 naming it, before the engine sees it', async (t) => {
  const { app, config } = await sandboxApp(t)
  const cases: Array<[string, RegExp]> = [
    ['bad\u0001name', /^template "bad\\u0001name" is not a valid image reference: .*U\+0001/],
    ['Ünicode', /^template "Ünicode" is not a valid image reference: .*only ASCII/],
    ['Ubuntu:22.04', /must be lowercase/],
    ['a:b:c', /"a:b" holds a ":"/],
    ['-x', /"-x" is not a repository name component/],
    ['with space', /contains a space/],
    [
      'a'.repeat(256),
      /274 characters long as the engine stores it \(docker\.io\/library\/…\), more than 255/,
    ],
  ]
  for (const [template, message] of cases) {
    assert.match(await refused(app, { template }), message)
  }
  await assertNothingCreated(app, config)
})

test('cpu or memory beyond the host is 400 1001 naming the host’s figure; nothing is created', async (t) => {
  const { app, config } = await sandboxApp(t)
  const info = (await docker.info()) as { NCPU: number; MemTotal: number }
  assert.equal(await refused(app, { cpu: 1000 }), `cpu 1000 exceeds the host's ${info.NCPU} CPUs`)
  assert.match(
    await refused(app, { cpu: '1000c' }),
    new RegExp(`^cpu "1000c" \\(1000 CPUs\\) exceeds the host's ${info.NCPU} CPUs$`),
  )
  assert.match(
    await refused(app, { memory: '100000g' }),
    new RegExp(
      `^memory "100000g" \\(107374182400000 bytes\\) exceeds the host's total memory of ${info.MemTotal} bytes \\(\\d+(\\.\\d)?g\\)$`,
    ),
  )
  assert.match(
    await refused(app, { memory: info.MemTotal + 1 }),
    new RegExp(`^memory ${info.MemTotal + 1} exceeds the host's total memory of ${info.MemTotal}`),
  )
  assert.match(await refused(app, { memory: '5m' }), /at least 6m, the engine's minimum/)
  assert.match(await refused(app, { memory: 'lots' }), /expected a size like/)
  assert.match(await refused(app, { memory: '99999999999999t' }), /too large/)
  assert.match(await refused(app, { cpu: 'fast' }), /expected cores like/)
  await assertNothingCreated(app, config)
})

test('server defaults beyond the host refuse creates that rely on them, naming the variable', async (t) => {
  const { app, config } = await sandboxApp(t, {
    WORKSPACE_DEFAULT_CPU: '1000',
    WORKSPACE_DEFAULT_MEM: '100000g',
  })
  const info = (await docker.info()) as { NCPU: number }
  assert.equal(
    await refused(app, {}),
    `WORKSPACE_DEFAULT_CPU (1000 CPUs) exceeds the host's ${info.NCPU} CPUs: ask for less with "cpu", or lower WORKSPACE_DEFAULT_CPU`,
  )
  assert.match(
    await refused(app, { cpu: 1 }),
    /^WORKSPACE_DEFAULT_MEM \(107374182400000 bytes\) exceeds the host's total memory .*lower WORKSPACE_DEFAULT_MEM$/,
  )
  await assertNothingCreated(app, config)
  // A request that names limits the host has is served.
  const { sandbox } = await createSandbox(t, app, { cpu: 1, memory: '256m' })
  assert.equal(sandbox.state, 'running')
})

test('defaults beyond the host are warned of at start-up', async () => {
  const warnings: string[] = []
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) })
  const defaults = { nanoCpus: 4e9, memoryBytes: 2 * 1024 ** 3 } as Config['sandboxDefaults']
  await warnOfDefaultsBeyondHost(defaults, async () => ({ cpus: 8, memoryBytes: 1e12 }), log)
  assert.deepEqual(warnings, [])
  await warnOfDefaultsBeyondHost(defaults, async () => ({ cpus: 2, memoryBytes: 1e12 }), log)
  assert.equal(warnings.length, 1)
  assert.match(
    JSON.parse(warnings[0]!).msg,
    /will be refused: WORKSPACE_DEFAULT_CPU \(4 CPUs\) exceeds the host's 2 CPUs/,
  )
  // An engine that does not answer is not this warning's business.
  await warnOfDefaultsBeyondHost(defaults, () => Promise.reject(new Error('down')), log)
  assert.equal(warnings.length, 1)
})

test('a plugin declaring a template that is no image reference is refused at load', () => {
  assert.throws(
    () => checkPlugin({ name: 'acme', kinds: [{ kind: 'acme', template: 'Acme\u0000:1' }] }, 'm'),
    /m: kinds\[0\] \(acme\): template "Acme\\u0000:1" is not a valid image reference: .*U\+0000/,
  )
})
