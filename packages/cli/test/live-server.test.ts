import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { liveEnv, runWm, skipLive } from './support/run-wm.js'

describe('live: wm server status', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()

  test('a running server is ready; both output modes say which replica answered', async () => {
    const json = await runWm(['--json', 'server', 'status'], { env })
    assert.equal(json.code, 0, json.stderr)
    const { health, readiness } = JSON.parse(json.stdout)
    assert.equal(health.status, 'ok')
    assert.deepEqual(Object.keys(health.replica).sort(), ['id', 'leader', 'leaderId'])
    assert.deepEqual(readiness, { ready: true, checks: { store: 'ok', engine: 'ok' } })

    const human = await runWm(['server', 'status'], { env })
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`^version: +${health.version}\\nreplica: +`))
    assert.ok(human.stdout.includes(`replica:       ${health.replica.id}\n`))
    assert.match(human.stdout, /\nready: +yes\ncheck store: +ok\ncheck engine: +ok\n$/)
  })
})
