/**
 * The Docker engine restarting (an upgrade, a crash) leaves sandboxes and
 * their processes running: dockerd runs with live-restore
 * (scripts/docker-daemon-json.sh). While the engine is down the API answers
 * what it can and a documented 503 for the rest, never another 5xx.
 *
 * The test stops and starts this machine's dockerd, which disturbs anything
 * else using the engine meanwhile, so it runs only when asked:
 *   WM_TEST_ENGINE_RESTART=1 node --import tsx --test test/engine-restart.test.ts
 * and only as root with an engine that has live-restore. The engine is
 * started again by scripts/start-dockerd.sh, as the bootstrap starts it,
 * whatever happens to the test.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { beforeClose, createWorkspace } from './helpers/app.js'
import { createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

const execFileAsync = promisify(execFile)
const START_DOCKERD = path.resolve(import.meta.dirname, '../../../scripts/start-dockerd.sh')

/** Polls `check` until it holds, for at most `timeoutMs`. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await sleep(100)
  }
}

/** `promise`, or a failure saying what did not finish within `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The pid of the live dockerd (pidof leaves zombies out), or undefined. */
async function dockerdPid(): Promise<number | undefined> {
  const { stdout } = await execFileAsync('pidof', ['dockerd']).catch(() => ({ stdout: '' }))
  const pid = Number(stdout.trim().split(/\s+/)[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Whether `pid` is a live process (PID 1 here does not reap: a dead dockerd stays a zombie). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

const engineAnswers = () =>
  within(docker.info(), 5000, 'docker info').then(
    () => true,
    () => false,
  )

/** Why this test cannot run here, or null. */
async function whyNotHere(): Promise<string | null> {
  if (process.env.WM_TEST_ENGINE_RESTART !== '1') {
    return 'restarts this machine’s Docker engine: set WM_TEST_ENGINE_RESTART=1 to run it'
  }
  if (process.getuid?.() !== 0) return 'stopping and starting dockerd needs root'
  const info = await within(docker.info(), 10_000, 'docker info').catch(() => undefined)
  if (!info) return 'no Docker engine answers'
  if (info.LiveRestoreEnabled !== true) {
    return 'the engine runs without live-restore (scripts/ensure-docker.sh configures it)'
  }
  if (!(await dockerdPid())) return 'no dockerd process on this machine (a remote engine?)'
  return null
}

/** Starts dockerd the bootstrap's way when none runs, and waits (bounded) until it answers. */
async function engineBack(): Promise<void> {
  if (!(await dockerdPid())) {
    await within(execFileAsync('bash', [START_DOCKERD]), 10_000, 'start-dockerd.sh')
  }
  await waitUntil(engineAnswers, 45_000, 'docker info answers again')
}

/** Sends `request` and keeps its status and error code (a deadline on each). */
async function answer(app: FastifyInstance, what: string, request: InjectOptions) {
  const response = await within(app.inject(request), 5000, what)
  const code = response.statusCode >= 400 ? response.json().error?.code : undefined
  return { what, status: response.statusCode, code, body: response.body }
}

test(
  'the engine restarting leaves a sandbox running with its processes; the API answers meanwhile',
  { timeout: 120_000 },
  async (t: TestContext) => {
    const why = await whyNotHere()
    if (why) {
      t.diagnostic(`skipped: ${why}`)
      t.skip(why)
      return
    }
    // However the test ends, the engine runs again afterwards.
    t.after(engineBack)
    const { app, config } = await sandboxApp(t)
    const { sandboxId, workspaceId } = await createSandbox(t, app)
    const container = docker.getContainer(`${config.sandboxDefaults.containerPrefix}${sandboxId}`)
    const containerId = (await container.inspect()).Id
    const started = await run(app, sandboxId, {
      cmd: 'sh',
      args: ['-c', 'nohup sleep 1000 >/dev/null 2>&1 & echo $!'],
    })
    assert.equal(started.status, 200, JSON.stringify(started.json))
    const sleepPid = Number(started.json.stdout.trim())
    assert.ok(sleepPid > 0, started.json.stdout)

    const engine = await dockerdPid()
    assert.ok(engine)
    const during: Array<Awaited<ReturnType<typeof answer>>> = []
    try {
      process.kill(engine, 'SIGTERM')
      await waitUntil(async () => !alive(engine), 20_000, `dockerd (pid ${engine}) exits`)
      assert.equal(await engineAnswers(), false, 'the engine is down')

      during.push(await answer(app, 'get', { method: 'GET', url: `/v1/sandboxes/${sandboxId}` }))
      // The agent answers over its unix socket, without the engine.
      during.push(
        await answer(app, 'process run', {
          method: 'POST',
          url: `/v1/sandboxes/${sandboxId}/processes`,
          payload: { cmd: 'echo', args: ['engine down'] },
        }),
      )
      const create = await answer(app, 'create', {
        method: 'POST',
        url: '/v1/sandboxes',
        payload: { workspace_id: workspaceId },
      })
      during.push(create)
      if (create.status === 201) {
        const id = JSON.parse(create.body).id as string
        beforeClose(app, () =>
          app.inject({ method: 'DELETE', url: `/v1/sandboxes/${id}?force=true` }),
        )
      }
      during.push(await answer(app, 'list', { method: 'GET', url: '/v1/sandboxes' }))
    } finally {
      await engineBack()
    }
    t.diagnostic(
      `while the engine was down: ${JSON.stringify(during.map(({ body: _, ...rest }) => rest))}`,
    )
    for (const reply of during) {
      const fine =
        (reply.status >= 200 && reply.status < 300) ||
        (reply.status === 503 && (reply.code === 1006 || reply.code === 3003))
      assert.ok(fine, `${reply.what} while the engine was down: ${reply.status} ${reply.body}`)
    }
    assert.equal(during[0]?.status, 200, 'a sandbox is read from the store')

    const after = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
    assert.equal(after.json().state, 'running')
    const info = await container.inspect()
    assert.deepEqual([info.Id, info.State.Running], [containerId, true], 'the same container runs')
    const check = await run(app, sandboxId, {
      cmd: 'sh',
      args: ['-c', `kill -0 ${sleepPid} && tr '\\0' ' ' < /proc/${sleepPid}/cmdline`],
    })
    assert.equal(check.status, 200, JSON.stringify(check.json))
    assert.equal(check.json.stdout, 'sleep 1000 ', 'the same sleep is alive')
    const fresh = await run(app, sandboxId, { cmd: 'echo', args: ['after'] })
    assert.deepEqual([fresh.status, fresh.json.stdout], [200, 'after\n'])
    // The server drives the engine again: a new sandbox starts.
    const other = await createWorkspace(app, 'after-restart')
    const { sandbox } = await createSandbox(t, app, { workspace_id: other })
    assert.equal(sandbox.state, 'running')
  },
)
