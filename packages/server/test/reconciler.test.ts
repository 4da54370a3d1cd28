import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { instanceId } from '../src/runtime/index.js'
import { tempDir } from './helpers/app.js'
import { freePorts } from './helpers/nfs.js'
import {
  TEST_TEMPLATE,
  containersOf,
  createSandbox,
  docker,
  sandboxApp,
} from './helpers/sandbox.js'
import { loadConfig } from '../src/config/index.js'

test('a labelled container with no row is removed, one of another server is left alone; a sandbox whose container vanished is made again', async (t) => {
  const { app, config } = await sandboxApp(t, { WM_RECONCILE_INTERVAL_SECONDS: '1' })
  const orphanId = `sb_orphan${Date.now()}`
  const orphan = await docker.createContainer({
    name: `wm_ws_${orphanId}`,
    Image: TEST_TEMPLATE,
    Cmd: ['sleep', '60'],
    Labels: {
      'wm.managed': '1',
      'wm.sandbox': orphanId,
      'wm.instance': instanceId(config.dataDir),
    },
  })
  t.after(() => orphan.remove({ force: true }).catch(() => undefined))
  // Another server on the same engine (a development server beside a test run) owns this one.
  const strangerId = `sb_stranger${Date.now()}`
  const stranger = await docker.createContainer({
    name: `wm_ws_${strangerId}`,
    Image: TEST_TEMPLATE,
    Cmd: ['sleep', '60'],
    Labels: { 'wm.managed': '1', 'wm.sandbox': strangerId, 'wm.instance': 'another-server' },
  })
  t.after(() => stranger.remove({ force: true }).catch(() => undefined))
  const { sandboxId } = await createSandbox(t, app)
  const before = (await docker.getContainer(`wm_ws_${sandboxId}`).inspect()).Id
  await docker.getContainer(`wm_ws_${sandboxId}`).remove({ force: true })
  const deadline = Date.now() + 60_000
  let remade = false
  let orphanGone = false
  while (Date.now() < deadline && (!remade || !orphanGone)) {
    await sleep(250)
    const state = (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).json()
      .state
    const now = await docker
      .getContainer(`wm_ws_${sandboxId}`)
      .inspect()
      .catch(() => undefined)
    remade = state === 'running' && now?.State.Running === true && now.Id !== before
    orphanGone = !(await containersOf(config)).some((c) => c.Id === orphan.id)
  }
  assert.ok(remade, 'the sandbox runs in a new container')
  assert.ok(orphanGone)
  assert.equal((await stranger.inspect()).Config.Labels['wm.sandbox'], strangerId)
})

const serverMain = fileURLToPath(new URL('../src/main.ts', import.meta.url))

function startServer(dataDir: string, port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', serverMain], {
    env: {
      ...process.env,
      WM_DATA_DIR: dataDir,
      WM_PORT: String(port),
      // Not under test; off, so a server already serving NFS on this host is no obstacle.
      WM_NFS_ENABLED: 'false',
      WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
      WM_LOG_LEVEL: 'warn',
    },
    cwd: path.dirname(serverMain),
    stdio: 'ignore',
  })
  return child
}

/** Polls /health for up to a minute: a bound for a busy host, not a speed check. */
async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return
    } catch {
      // not up yet
    }
    await sleep(100)
  }
  throw new Error('server did not come up')
}

test('kill -9 during 10 concurrent creates leaves nothing orphaned after restart', async (t) => {
  const dataDir = await tempDir(t)
  const [port] = (await freePorts(1)) as [number]
  const url = `http://127.0.0.1:${port}`
  const first = startServer(dataDir, port)
  t.after(() => first.kill('SIGKILL'))
  await waitForHealth(url)
  const workspace = (await (await fetch(`${url}/v1/workspaces`, { method: 'POST' })).json()) as {
    id: string
  }
  const creates = Array.from({ length: 10 }, () =>
    fetch(`${url}/v1/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workspace_id: workspace.id }),
    }).catch(() => undefined),
  )
  await sleep(400)
  first.kill('SIGKILL')
  await Promise.all(creates)

  const second = startServer(dataDir, port)
  t.after(async () => {
    const listed = (await (await fetch(`${url}/v1/sandboxes`)).json()) as {
      sandboxes: Array<{ id: string }>
    }
    const rows = listed.sandboxes
    await Promise.all(
      rows.map((row) => fetch(`${url}/v1/sandboxes/${row.id}?force=true`, { method: 'DELETE' })),
    )
    second.kill('SIGTERM')
  })
  await waitForHealth(url)
  await sleep(500)
  const rows = (
    (await (await fetch(`${url}/v1/sandboxes`)).json()) as {
      sandboxes: Array<{ id: string; state: string }>
    }
  ).sandboxes
  const containers = await containersOf(loadConfig({ WM_DATA_DIR: dataDir }))
  const running = new Set(rows.filter((row) => row.state === 'running').map((row) => row.id))
  const live = new Set(containers.map((c) => c.Labels['wm.sandbox']))
  assert.deepEqual([...live].sort(), [...running].sort())
  assert.ok(
    rows.every((row) => row.state === 'running' || row.state === 'error'),
    JSON.stringify(rows),
  )
})
