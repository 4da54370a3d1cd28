import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { liveEnv, runWm, skipLive } from './support/run-wm.js'

const ID = /^[A-Za-z0-9_-]{1,128}$/

describe('live: wm workspace', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (...args: string[]) => runWm(args, { env })

  test('create prints the id; get, list and rm work in both output modes', async () => {
    const created = await wm(
      'workspace',
      'create',
      '--name',
      'cli-live',
      '--meta',
      'team=core',
      '--meta',
      'a=b=c',
    )
    assert.equal(created.code, 0, created.stderr)
    const id = created.stdout.trim()
    assert.match(id, ID)

    const human = await wm('workspace', 'get', id)
    assert.equal(human.code, 0)
    assert.match(human.stdout, new RegExp(`^id: +${id}\\nname: +cli-live\\n`))
    assert.match(human.stdout, /metadata: +team=core, a=b=c\n$/)

    const json = await wm('--json', 'workspace', 'get', id)
    const ws = JSON.parse(json.stdout)
    assert.deepEqual(Object.keys(ws).sort(), [
      'createdAt',
      'id',
      'metadata',
      'name',
      'nfsUrl',
      'quotaBytes',
      'updatedAt',
      'usedBytes',
    ])
    assert.deepEqual([ws.id, ws.name, ws.metadata], [id, 'cli-live', { team: 'core', a: 'b=c' }])

    const table = await wm('workspace', 'list')
    assert.equal(table.code, 0)
    assert.match(table.stdout, /^ID +NAME +CREATED \(UTC\) +QUOTA +USED +METADATA\n/)
    assert.match(
      table.stdout,
      // QUOTA is a size or none, USED a size or - (a server that cannot count it).
      new RegExp(
        `^${id} +cli-live +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +(none|[\\d.]+ \\w+) +(-|[\\d.]+ \\w+) +team=core`,
        'm',
      ),
    )

    const listed = JSON.parse((await wm('workspace', 'ls', '--json')).stdout) as { id: string }[]
    assert.ok(Array.isArray(listed))
    assert.ok(listed.some((w) => w.id === id))

    const removed = await wm('workspace', 'rm', id)
    assert.deepEqual([removed.code, removed.stdout], [0, ''])
    const again = await wm('--json', 'workspace', 'rm', id)
    assert.equal(again.code, 3)
    assert.match(again.stderr, /^wm: .* \(code 7001\)\n\{"error":/)
  })

  test('create --json returns the whole workspace', async () => {
    const created = await wm('workspace', 'create', '--json')
    assert.equal(created.code, 0)
    const ws = JSON.parse(created.stdout)
    assert.match(ws.id, ID)
    assert.equal(ws.name, null)
    const removed = await wm('--json', 'workspace', 'rm', ws.id)
    assert.deepEqual(JSON.parse(removed.stdout), { id: ws.id, deleted: true })
  })

  test('get of a missing workspace exits 3', async () => {
    const result = await wm('workspace', 'get', 'no-such-workspace')
    assert.equal(result.code, 3)
    assert.match(result.stderr, /\(code 7001\)\n$/)
  })

  test('a malformed id is an API validation error: exit 1, code 1001', async () => {
    const result = await wm('workspace', 'get', 'bad id!')
    assert.equal(result.code, 1)
    assert.match(result.stderr, /\(code 1001\)\n$/)
  })
})
