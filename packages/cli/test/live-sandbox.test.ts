import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { LIVE_TEMPLATE, liveEnv, runWm, skipLive } from './support/run-wm.js'

const ID = /^[A-Za-z0-9_-]{1,128}$/

describe('live: wm sandbox', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (...args: string[]) => runWm(args, { env })
  let ws = ''

  before(async () => {
    ws = (await wm('workspace', 'create', '--name', 'cli-live-sandbox')).stdout.trim()
  })
  after(async () => {
    await wm('workspace', 'rm', ws)
  })

  test('create prints the id; get, list, wait and rm in both output modes', async () => {
    const created = await wm(
      ...['sandbox', 'create', '--workspace', ws, '--template', LIVE_TEMPLATE, '--name', 'cli-sb'],
      ...['--env', 'A=1', '--meta', 'team=core', '--timeout', '900', '--cpu', '0.5'],
      ...['--memory', '256m', '--network', 'none'],
    )
    assert.equal(created.code, 0, created.stderr)
    const id = created.stdout.trim()
    assert.match(id, ID)

    const human = await wm('sandbox', 'get', id)
    assert.equal(human.code, 0)
    assert.match(human.stdout, new RegExp(`^id: +${id}\\nstate: +running\\nworkspace: +${ws}\\n`))
    assert.match(
      human.stdout,
      /\ncpu: +0\.5 cores\nmemory: +256\.0 MiB\ndisk: +unlimited\nnetwork: +none\nenv: +A\n/,
    )

    const sandbox = JSON.parse((await wm('--json', 'sandbox', 'get', id)).stdout)
    assert.deepEqual(Object.keys(sandbox).sort(), [
      'applicationKind',
      'autoResume',
      'cpu',
      'createdAt',
      'desiredState',
      'diskBytes',
      'env',
      'errorMessage',
      'expiresAt',
      'id',
      'lastActivityAt',
      'memory',
      'metadata',
      'name',
      'network',
      'networkMode',
      'onIdle',
      'onTimeout',
      'secrets',
      'state',
      'template',
      'timeout',
      'updatedAt',
      'workspaceId',
    ])
    assert.deepEqual(
      [sandbox.workspaceId, sandbox.name, sandbox.env, sandbox.metadata, sandbox.timeout],
      [ws, 'cli-sb', { A: '1' }, { team: 'core' }, 900],
    )

    const table = await wm('sandbox', 'list', '--workspace', ws)
    assert.match(table.stdout, /^ID +STATE +WORKSPACE +TEMPLATE +NAME +CREATED \(UTC\)\n/)
    assert.match(table.stdout, new RegExp(`^${id} +running +${ws} +\\S+ +cli-sb `, 'm'))
    const listed = JSON.parse((await wm('sb', 'ls', '--state', 'running', '--json')).stdout)
    assert.ok(listed.some((s: { id: string }) => s.id === id))

    const waited = await wm(
      '--json',
      'sandbox',
      'wait',
      id,
      '--state',
      'running',
      '--timeout',
      '30',
    )
    assert.equal(waited.code, 0, waited.stderr)
    assert.equal(JSON.parse(waited.stdout).state, 'running')

    const busy = await wm('workspace', 'rm', ws)
    assert.equal(busy.code, 5)
    assert.match(busy.stderr, /\(code 7002\)\n$/)

    const removed = await wm('--json', 'sandbox', 'rm', id, '--force')
    assert.equal(removed.code, 0, removed.stderr)
    assert.deepEqual(JSON.parse(removed.stdout), { id, deleted: true })
    const again = await wm('sandbox', 'rm', id)
    assert.equal(again.code, 3)
    assert.match(again.stderr, /\(code 2001\)\n$/)
  })

  test('create --json returns the whole sandbox; plain rm', async () => {
    const created = await wm(
      '--json',
      'sandbox',
      'create',
      '--workspace',
      ws,
      '--template',
      LIVE_TEMPLATE,
    )
    assert.equal(created.code, 0, created.stderr)
    const sandbox = JSON.parse(created.stdout)
    assert.deepEqual(
      [sandbox.state, sandbox.workspaceId, sandbox.networkMode],
      ['running', ws, 'none'],
    )
    const removed = await wm('sandbox', 'rm', sandbox.id)
    assert.deepEqual([removed.code, removed.stdout], [0, ''])
  })

  test('a missing template or workspace exits 3', async () => {
    const template = await wm(
      'sandbox',
      'create',
      '--workspace',
      ws,
      '--template',
      'wm-no-such:never',
    )
    assert.equal(template.code, 3)
    assert.match(template.stderr, /\(code 2003\)\n$/)
    const workspace = await wm(
      'sandbox',
      'create',
      '--workspace',
      'no-such-ws',
      '--template',
      LIVE_TEMPLATE,
    )
    assert.equal(workspace.code, 3)
    assert.match(workspace.stderr, /\(code 7001\)\n$/)
  })

  test('get and wait on a missing sandbox exit 3', async () => {
    assert.equal((await wm('sandbox', 'get', 'no-such-sandbox')).code, 3)
    assert.equal((await wm('sandbox', 'wait', 'no-such-sandbox')).code, 3)
  })
})
