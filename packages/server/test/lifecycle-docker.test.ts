import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { Janitor } from '../src/services/janitor.js'
import type { Clock } from '../src/services/lifecycle/clock.js'
import { open } from './helpers/pty.js'
import { createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

/*
 * The lifecycle on the real engine with the real agent: what pause and stop
 * keep, auto-resume, the idle action, and a container removed behind the
 * server's back.
 */

const TIMEOUT = { timeout: 240_000 }

/** Polls `check` until it holds (a condition, not a timer), for at most `timeoutMs`. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(100)
  }
}

function lifecycle(app: FastifyInstance, id: string, operation: string) {
  return app.inject({ method: 'POST', url: `/v1/sandboxes/${id}/${operation}` })
}

async function shell(app: FastifyInstance, id: string, script: string) {
  const result = await run(app, id, { cmd: 'sh', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  return result.json as { stdout: string; exit_code: number }
}

async function state(app: FastifyInstance, id: string): Promise<string> {
  return (await app.inject({ method: 'GET', url: `/v1/sandboxes/${id}` })).json().state
}

const container = (config: { sandboxDefaults: { containerPrefix: string } }, id: string) =>
  docker.getContainer(`${config.sandboxDefaults.containerPrefix}${id}`)

test(
  'pause freezes and resume thaws: a running sleep and a shell counting in a variable carry on',
  TIMEOUT,
  async (t: TestContext) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId, workspaceId } = await createSandbox(t, app, { auto_resume: false })
    const counter = path.join(config.dataDir, 'workspaces', workspaceId, 'counter')
    // The count lives only in the shell's memory: a restarted shell would begin at 1 again.
    await shell(
      app,
      sandboxId,
      "nohup sh -c 'i=0; while true; do i=$((i+1)); echo $i > /workspace/counter; sleep 0.1; done' >/dev/null 2>&1 & nohup sleep 1000 >/dev/null 2>&1 & echo $! > /workspace/sleep.pid",
    )
    const count = async () => Number((await fs.readFile(counter, 'utf8').catch(() => '0')).trim())
    await waitUntil(async () => (await count()) >= 3, 30_000, 'the counter counts')

    const paused = await lifecycle(app, sandboxId, 'pause')
    assert.deepEqual([paused.statusCode, paused.json().state], [200, 'paused'])
    assert.equal((await container(config, sandboxId).inspect()).State.Paused, true)
    const refused = await run(app, sandboxId, { cmd: 'true' })
    assert.deepEqual([refused.status, refused.json.error.code], [409, 2002], 'no auto_resume')
    const atPause = await count()

    const resumed = await lifecycle(app, sandboxId, 'resume')
    assert.deepEqual([resumed.statusCode, resumed.json().state], [200, 'running'])
    assert.equal((await container(config, sandboxId).inspect()).State.Paused, false)
    await waitUntil(async () => (await count()) > atPause, 30_000, 'the counter goes on')
    const alive = await shell(app, sandboxId, 'kill -0 "$(cat /workspace/sleep.pid)" && echo alive')
    assert.equal(alive.stdout, 'alive\n')
  },
)

/** How many `sleep 1001` run, by command line (PIDs start over in a restarted container). */
const COUNT_SLEEPS =
  "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 1001 ' || true"

test(
  'stop keeps the root filesystem; start runs the same container; processes do not survive',
  TIMEOUT,
  async (t: TestContext) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app, { env: { KEPT: 'yes' } })
    await shell(
      app,
      sandboxId,
      "printf '#!/bin/sh\\necho installed-tool\\n' > /usr/local/bin/x && chmod +x /usr/local/bin/x && echo kept > /etc/x && (nohup sleep 1001 >/dev/null 2>&1 &)",
    )
    assert.equal((await shell(app, sandboxId, COUNT_SLEEPS)).stdout, '1\n')
    const before = await container(config, sandboxId).inspect()

    const stopped = await lifecycle(app, sandboxId, 'stop')
    assert.deepEqual([stopped.statusCode, stopped.json().state], [200, 'stopped'])
    const down = await container(config, sandboxId).inspect()
    assert.deepEqual([down.Id, down.State.Running], [before.Id, false])
    const refused = await run(app, sandboxId, { cmd: 'true' })
    assert.deepEqual([refused.status, refused.json.error.code], [409, 2002])

    const started = await lifecycle(app, sandboxId, 'start')
    assert.deepEqual([started.statusCode, started.json().state], [200, 'running'])
    assert.equal((await container(config, sandboxId).inspect()).Id, before.Id)
    const kept = await shell(app, sandboxId, 'x && cat /etc/x && echo "$KEPT"')
    assert.equal(kept.stdout, 'installed-tool\nkept\nyes\n')
    assert.equal((await shell(app, sandboxId, COUNT_SLEEPS)).stdout, '0\n')
  },
)

test(
  'an exec on a stopped sandbox with auto_resume starts it and answers',
  TIMEOUT,
  async (t: TestContext) => {
    const { app } = await sandboxApp(t)
    const { sandboxId, sandbox } = await createSandbox(t, app, { on_idle: 'stop' })
    assert.equal(sandbox.auto_resume, true)
    assert.equal((await lifecycle(app, sandboxId, 'stop')).json().state, 'stopped')
    const result = await run(app, sandboxId, { cmd: 'echo', args: ['after', 'start'] })
    assert.equal(result.status, 200, JSON.stringify(result.json))
    assert.equal(result.json.stdout, 'after start\n')
    assert.equal(await state(app, sandboxId), 'running')
  },
)

test(
  'WORKSPACE_IDLE_ACTION=pause: the janitor pauses an idle sandbox and the next call resumes it',
  TIMEOUT,
  async (t: TestContext) => {
    const clock: Clock & { offset: number } = {
      offset: 0,
      now() {
        return Date.now() + this.offset
      },
      sleep: (ms) => sleep(ms),
    }
    let janitor: Janitor | undefined
    const { app, config } = await sandboxApp(
      t,
      { WORKSPACE_IDLE_ACTION: 'pause', WORKSPACE_IDLE_TTL_SECONDS: '60' },
      { clock, expose: (services) => (janitor = services.janitor) },
    )
    const { sandboxId } = await createSandbox(t, app)
    clock.offset = 61_000
    assert.deepEqual(await janitor?.sweep(), [sandboxId])
    assert.equal(await state(app, sandboxId), 'paused')
    assert.equal((await container(config, sandboxId).inspect()).State.Paused, true)
    const result = await run(app, sandboxId, { cmd: 'echo', args: ['awake'] })
    assert.equal(result.status, 200, JSON.stringify(result.json))
    assert.equal(result.json.stdout, 'awake\n')
    assert.equal(await state(app, sandboxId), 'running')
    assert.equal((await container(config, sandboxId).inspect()).State.Paused, false)
  },
)

test(
  'a container removed behind the server’s back is made again from the sandbox’s spec',
  TIMEOUT,
  async (t: TestContext) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app, { env: { KEPT: 'yes' } })
    const before = (await container(config, sandboxId).inspect()).Id
    await container(config, sandboxId).remove({ force: true })
    await waitUntil(
      async () => {
        const now = await container(config, sandboxId)
          .inspect()
          .catch(() => undefined)
        return (
          (await state(app, sandboxId)) === 'running' &&
          now?.State.Running === true &&
          now.Id !== before
        )
      },
      90_000,
      'a new container runs',
    )
    const result = await shell(app, sandboxId, 'echo "$KEPT"')
    assert.equal(result.stdout, 'yes\n')
  },
)

test(
  'a PTY shell keeps its variables across pause/resume; reattaching to it resumes the sandbox (auto_resume)',
  TIMEOUT,
  async (t: TestContext) => {
    const { app } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app, { on_idle: 'pause' })
    const first = await open(app, `/v1/sandboxes/${sandboxId}/pty`)
    const { pty_id: ptyId } = await first.control('ready')
    first.type('KEPT=forty-two; echo set-$KEPT\n')
    await first.waitFor('set-forty-two')
    first.ws.terminate()
    await first.closed
    assert.equal((await lifecycle(app, sandboxId, 'pause')).json().state, 'paused')
    const second = await open(app, `/v1/sandboxes/${sandboxId}/pty/${String(ptyId)}`)
    await second.control('ready')
    assert.equal(await state(app, sandboxId), 'running')
    second.type('echo again-$KEPT\n')
    await second.waitFor('again-forty-two')
    second.type('exit\n')
    await second.control('exit')
  },
)
