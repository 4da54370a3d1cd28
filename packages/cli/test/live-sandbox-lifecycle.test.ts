import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { LIVE_TEMPLATE, liveEnv, runWm, skipLive } from './support/run-wm.js'

describe('live: wm sandbox stop|start|pause|resume', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (...args: string[]) => runWm(args, { env })
  let ws = ''
  let sb = ''

  before(async () => {
    ws = (await wm('workspace', 'create', '--name', 'cli-live-lifecycle')).stdout.trim()
    const created = await wm(
      ...['sandbox', 'create', '--workspace', ws, '--template', LIVE_TEMPLATE],
      ...['--on-idle', 'pause', '--on-timeout', 'stop', '--no-auto-resume'],
    )
    assert.equal(created.code, 0, created.stderr)
    sb = created.stdout.trim()
  })
  after(async () => {
    await wm('sandbox', 'rm', sb, '--force')
    await wm('workspace', 'rm', ws)
  })

  test('create --on-idle/--on-timeout/--no-auto-resume: get shows them', async () => {
    const got = await wm('sandbox', 'get', sb)
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.stdout, /\non timeout: +stop\non idle: +pause\nauto resume: +no\n/)
  })

  test('pause, resume, stop, start: each prints the sandbox in its new state', async () => {
    for (const [verb, state] of [
      ['pause', 'paused'],
      ['resume', 'running'],
      ['stop', 'stopped'],
      ['start', 'running'],
    ]) {
      const human = await wm('sandbox', verb as string, sb)
      assert.equal(human.code, 0, `${verb}: ${human.stderr}`)
      assert.match(
        human.stdout,
        new RegExp(`^id: +${sb}\\nstate: +${state}\\nworkspace: +${ws}\\n`),
      )
    }
    const json = await wm('--json', 'sandbox', 'stop', sb)
    assert.equal(json.code, 0, json.stderr)
    const stopped = JSON.parse(json.stdout)
    assert.deepEqual(
      [stopped.id, stopped.state, stopped.onIdle, stopped.onTimeout, stopped.autoResume],
      [sb, 'stopped', 'pause', 'stop', false],
    )
    const listed = await wm('sandbox', 'list', '--workspace', ws, '--state', 'stopped')
    assert.match(listed.stdout, new RegExp(`\\n${sb} +stopped +${ws} `))
    // Without auto-resume a command on a stopped sandbox is a conflict (exit 5).
    const refused = await wm('exec', sb, '--', 'true')
    assert.equal(refused.code, 5)
    assert.match(refused.stderr, /\(code 2002\)\n$/)
    assert.equal((await wm('sandbox', 'start', sb)).code, 0)
    assert.equal((await wm('exec', sb, '--', 'true')).code, 0)
  })

  test('pausing a stopped sandbox exits 5; an unknown one exits 3', async () => {
    assert.equal((await wm('sandbox', 'stop', sb)).code, 0)
    const refused = await wm('sandbox', 'pause', sb)
    assert.equal(refused.code, 5)
    assert.match(refused.stderr, /\(code 2002\)\n$/)
    assert.equal((await wm('sandbox', 'start', sb)).code, 0)
    for (const verb of ['stop', 'start', 'pause', 'resume']) {
      assert.equal((await wm('sandbox', verb, 'no-such-sandbox')).code, 3)
    }
  })
})
