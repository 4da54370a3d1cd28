import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { open } from './helpers/pty.js'
import { createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

const TIMEOUT = { timeout: 180_000 }

/**
 * Whether the engine runs gVisor with checkpoints (scripts/ensure-gvisor.sh
 * and ensure-docker.sh set that up). CI always has it, so there a missing
 * runsc fails the test instead of skipping it.
 */
async function gvisorWithCheckpoints(t: TestContext): Promise<boolean> {
  const info = (await docker.info()) as {
    Runtimes?: Record<string, unknown>
    ExperimentalBuild?: boolean
  }
  if (info.Runtimes?.runsc && info.ExperimentalBuild) return true
  const why =
    'the engine has no runsc runtime or is not experimental (see scripts/ensure-gvisor.sh)'
  if (process.env.CI === 'true') assert.fail(`CI bootstraps gVisor, yet ${why}`)
  t.skip(why)
  return false
}

async function sh(app: FastifyInstance, sandboxId: string, script: string): Promise<string> {
  const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  assert.equal(result.json.exit_code, 0, result.json.stderr)
  return result.json.stdout as string
}

/** A counter kept in a shell variable (memory only), written out every 100 ms. */
const COUNTER =
  "nohup sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done' >/dev/null 2>&1 &"

async function count(app: FastifyInstance, sandboxId: string): Promise<number> {
  return Number((await sh(app, sandboxId, 'cat /tmp/count')).trim())
}

async function counterPids(app: FastifyInstance, sandboxId: string): Promise<string> {
  return sh(app, sandboxId, "ps -eo pid,args | grep '[w]hile :' | awk '{print $1}'")
}

/** An app under runsc with checkpoints on, and a running sandbox; undefined when skipped. */
async function gvisorSandbox(
  t: TestContext,
  env: Record<string, string> = {},
): Promise<{ app: FastifyInstance; sandboxId: string } | undefined> {
  if (!(await gvisorWithCheckpoints(t))) return undefined
  const { app } = await sandboxApp(t, {
    WM_RUNTIME: 'runsc',
    WORKSPACE_ENABLE_CHECKPOINTS: 'true',
    ...env,
  })
  const { sandboxId } = await createSandbox(t, app)
  return { app, sandboxId }
}

function takeCheckpoint(
  app: FastifyInstance,
  sandboxId: string,
  body: Record<string, unknown> = {},
) {
  return app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/checkpoints`,
    payload: body,
  })
}

function restoreCheckpoint(app: FastifyInstance, sandboxId: string, checkpointId: string) {
  return app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/checkpoints/${checkpointId}/restore`,
  })
}

test(
  'under runsc a checkpoint saves the processes and restore brings them back',
  TIMEOUT,
  async (t) => {
    const made = await gvisorSandbox(t)
    if (!made) return
    const { app, sandboxId } = made
    assert.match(await sh(app, sandboxId, 'dmesg 2>/dev/null | head -1 || true'), /gVisor|^$/)
    await sh(
      app,
      sandboxId,
      `${COUNTER} echo kept > /workspace/kept.txt; echo kept > /root/kept.txt`,
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const pids = await counterPids(app, sandboxId)
    assert.ok(pids.trim(), 'the counter runs')

    const created = await takeCheckpoint(app, sandboxId, { name: 'counting' })
    assert.equal(created.statusCode, 201, created.body)
    const checkpoint = created.json()
    assert.equal(checkpoint.kind, 'process')
    // The sandbox runs on from what was saved: same processes, memory and all.
    const atCheckpoint = await count(app, sandboxId)
    assert.equal(await counterPids(app, sandboxId), pids)
    const sandbox = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
    assert.equal(sandbox.json().state, 'running')

    await new Promise((resolve) => setTimeout(resolve, 1500))
    const later = await count(app, sandboxId)
    assert.ok(later > atCheckpoint + 5, `the counter went on: ${atCheckpoint} then ${later}`)
    await sh(
      app,
      sandboxId,
      'echo after > /workspace/after.txt; rm /root/kept.txt; echo x > /root/after.txt',
    )

    const restored = await restoreCheckpoint(app, sandboxId, checkpoint.id)
    assert.equal(restored.statusCode, 200, restored.body)
    assert.equal(restored.json().state, 'running')
    // The counter's memory went back: it counts on from the checkpoint, not from `later`.
    const back = await count(app, sandboxId)
    assert.ok(back < later, `restored counter ${back} is below ${later}`)
    assert.equal(await counterPids(app, sandboxId), pids)
    assert.equal(
      await sh(app, sandboxId, 'ls /workspace; ls /root'),
      'kept.txt\nkept.txt\n',
      'workspace and root filesystem are as they were at the checkpoint',
    )
    // Directories work after a restore (an older runsc broke stat() there).
    assert.match(await sh(app, sandboxId, 'ls -d / /etc /workspace'), /\/etc/)
    const listed = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/processes` })
    assert.equal(listed.statusCode, 200)
  },
)

test('two process checkpoints asked at once are taken one after the other', TIMEOUT, async (t) => {
  const made = await gvisorSandbox(t)
  if (!made) return
  const { app, sandboxId } = made
  const both = await Promise.all([1, 2].map(() => takeCheckpoint(app, sandboxId)))
  assert.deepEqual(
    both.map((response) => response.statusCode),
    [201, 201],
    both.map((response) => response.body).join('\n'),
  )
  const listed = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/checkpoints` })
  assert.equal(listed.json().checkpoints.length, 2)
  assert.equal(await sh(app, sandboxId, 'echo alive'), 'alive\n')
})

test(
  'a shell in a PTY lives through a process checkpoint and goes back with restore',
  TIMEOUT,
  async (t) => {
    const made = await gvisorSandbox(t)
    if (!made) return
    const { app, sandboxId } = made
    const term = await open(app, `/v1/sandboxes/${sandboxId}/pty`)
    const ptyId = String((await term.control('ready')).pty_id)
    term.type('X=at-checkpoint; echo "set:$X"\n')
    await term.waitFor('set:at-checkpoint')

    const created = await takeCheckpoint(app, sandboxId)
    assert.equal(created.statusCode, 201, created.body)
    // The attached client was let go; the shell was not.
    await term.closed
    const again = await open(app, `/v1/sandboxes/${sandboxId}/pty/${ptyId}`)
    again.type('echo "now:$X"; X=changed; echo "then:$X"\n')
    await again.waitFor('then:changed')
    assert.match(again.output, /now:at-checkpoint/)
    again.ws.close()

    const restored = await restoreCheckpoint(app, sandboxId, created.json().id)
    assert.equal(restored.statusCode, 200, restored.body)
    const back = await open(app, `/v1/sandboxes/${sandboxId}/pty/${ptyId}`)
    back.type('echo "back:$X"\n')
    await back.waitFor(/back:at-checkpoint/)
    back.ws.close()
  },
)

test(
  'checkpoints under a reconciler passing every second leave the sandbox running',
  TIMEOUT,
  async (t) => {
    const made = await gvisorSandbox(t, { WM_RECONCILE_INTERVAL_SECONDS: '1' })
    if (!made) return
    const { app, sandboxId } = made
    const started = Date.now()
    let rounds = 0
    // Long enough for several passes to land while a container is being replaced.
    while (Date.now() - started < 4000) {
      const created = await takeCheckpoint(app, sandboxId)
      assert.equal(created.statusCode, 201, created.body)
      rounds++
    }
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const sandbox = (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).json()
    assert.equal(sandbox.state, 'running', `after ${rounds} checkpoints: ${sandbox.error_message}`)
    assert.equal(await sh(app, sandboxId, 'echo alive'), 'alive\n')
  },
)

test(
  'a unix socket bound in the workspace refuses the checkpoint (409 code 2006) and loses nothing',
  TIMEOUT,
  async (t) => {
    const made = await gvisorSandbox(t)
    if (!made) return
    const { app, sandboxId } = made
    const listen = (path: string) =>
      `nohup python3 -c 'import socket,time; s=socket.socket(socket.AF_UNIX); s.bind("${path}"); s.listen(); time.sleep(1000)' >/dev/null 2>&1 &`
    await sh(
      app,
      sandboxId,
      `${COUNTER} ${listen('/workspace/app.sock')} ${listen('/tmp/ok.sock')} sleep 1`,
    )
    const pids = await counterPids(app, sandboxId)

    const refused = await takeCheckpoint(app, sandboxId)
    assert.equal(refused.statusCode, 409, refused.body)
    assert.equal(refused.json().error.code, 2006)
    assert.match(refused.json().error.message, /\/workspace\/app\.sock/)
    assert.doesNotMatch(refused.json().error.message, /ok\.sock|agent\.sock/)
    // Nothing was lost: same processes, still counting, no checkpoint left behind.
    const sandbox = (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).json()
    assert.equal(sandbox.state, 'running')
    assert.equal(await counterPids(app, sandboxId), pids)
    const listed = await app.inject({
      method: 'GET',
      url: `/v1/sandboxes/${sandboxId}/checkpoints`,
    })
    assert.deepEqual(listed.json().checkpoints, [])

    // Once the socket's owner is gone, the checkpoint goes through (a socket in /tmp is fine).
    await sh(app, sandboxId, "pkill -f 'app[.]sock'; rm -f /workspace/*.sock; sleep 0.3")
    const created = await takeCheckpoint(app, sandboxId)
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(await counterPids(app, sandboxId), pids)
  },
)
