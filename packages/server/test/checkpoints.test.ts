import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { instanceId } from '../src/runtime/index.js'
import { createSandbox, docker, run, sandboxApp } from './helpers/sandbox.js'

const TIMEOUT = { timeout: 180_000 }

async function sh(app: FastifyInstance, sandboxId: string, script: string) {
  const result = await run(app, sandboxId, { cmd: 'bash', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  assert.equal(result.json.exit_code, 0, result.json.stderr)
  return result.json.stdout as string
}

async function checkpoint(app: FastifyInstance, sandboxId: string, name?: string) {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/checkpoints`,
    payload: name === undefined ? {} : { name },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json()
}

async function imageExists(image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    )
}

test('a filesystem checkpoint brings back /tmp and the workspace', TIMEOUT, async (t) => {
  const { app, config } = await sandboxApp(t)
  const { sandboxId, workspaceId } = await createSandbox(t, app)
  await sh(
    app,
    sandboxId,
    `echo one > /tmp/state.txt && echo one > /workspace/notes.txt &&
     mkdir -p /workspace/deep/er && echo nested > /workspace/deep/er/file &&
     ln -s /etc/passwd /workspace/link && chown 1234:2345 /workspace/notes.txt &&
     chmod 640 /workspace/notes.txt && touch -d '2001-02-03 04:05:06' /workspace/notes.txt`,
  )

  const created = await checkpoint(app, sandboxId, 'before')
  assert.match(created.id, /^ck_[0-9a-f]{20}$/)
  assert.equal(created.kind, 'filesystem')
  assert.equal(created.sandbox_id, sandboxId)
  assert.equal(created.workspace_id, workspaceId)
  assert.equal(created.name, 'before')
  assert.equal(created.image, `wm-checkpoint:${created.id}`)
  const image = await docker.getImage(created.image).inspect()
  assert.equal(image.Config.Labels?.['wm.checkpoint'], created.id)
  // The committed image holds neither the agent token nor the agent as its command.
  const sandboxRow = (await docker.getContainer(`wm_ws_${sandboxId}`).inspect()).Config.Env
  const token = sandboxRow.find((entry) => entry.startsWith('WM_AGENT_TOKEN='))!
  assert.ok(token.length > 'WM_AGENT_TOKEN='.length + 30)
  assert.ok(!image.Config.Env.includes(token))
  assert.ok(!JSON.stringify(image.Config.Entrypoint ?? []).includes('wm-agent'))
  // Processes kept running through the pause.
  assert.equal(await sh(app, sandboxId, 'cat /tmp/state.txt'), 'one\n')

  await sh(
    app,
    sandboxId,
    `echo two > /tmp/state.txt && echo new > /tmp/added && echo two > /workspace/notes.txt &&
     rm -r /workspace/deep /workspace/link && echo extra > /workspace/extra.txt`,
  )
  const restored = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/checkpoints/${created.id}/restore`,
  })
  assert.equal(restored.statusCode, 200, restored.body)
  assert.equal(restored.json().id, sandboxId)
  assert.equal(restored.json().state, 'running')

  assert.equal(await sh(app, sandboxId, 'cat /tmp/state.txt'), 'one\n')
  assert.equal(await sh(app, sandboxId, 'test -e /tmp/added || echo gone'), 'gone\n')
  assert.equal(await sh(app, sandboxId, 'cat /workspace/notes.txt'), 'one\n')
  assert.equal(await sh(app, sandboxId, 'cat /workspace/deep/er/file'), 'nested\n')
  assert.equal(await sh(app, sandboxId, 'test -e /workspace/extra.txt || echo gone'), 'gone\n')
  assert.equal(await sh(app, sandboxId, 'readlink /workspace/link'), '/etc/passwd\n')
  assert.equal(
    await sh(app, sandboxId, "stat -c '%u:%g %a %Y' /workspace/notes.txt"),
    `1234:2345 640 ${Date.UTC(2001, 1, 3, 4, 5, 6) / 1000}\n`,
  )
  // The host side agrees, and the symlink was never followed into the host's /etc.
  const hostDir = path.join(config.dataDir, 'workspaces', workspaceId)
  assert.equal((await fs.lstat(path.join(hostDir, 'link'))).isSymbolicLink(), true)
  // Still one sandbox, running; the old container is gone.
  const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(
    listed.json().sandboxes.map((s: any) => [s.id, s.state]),
    [[sandboxId, 'running']],
  )
})

test(
  'restore works again after more changes, and after a second checkpoint',
  TIMEOUT,
  async (t) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app)
    await sh(app, sandboxId, 'echo a > /tmp/v && echo a > /workspace/v')
    const first = await checkpoint(app, sandboxId, 'a')
    await sh(app, sandboxId, 'echo b > /tmp/v && echo b > /workspace/v')
    const second = await checkpoint(app, sandboxId, 'b')
    await sh(app, sandboxId, 'echo c > /tmp/v && echo c > /workspace/v')
    for (const [cp, value] of [
      [first, 'a'],
      [second, 'b'],
      [first, 'a'],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/sandboxes/${sandboxId}/checkpoints/${cp.id}/restore`,
      })
      assert.equal(response.statusCode, 200, response.body)
      assert.equal(await sh(app, sandboxId, 'cat /tmp/v /workspace/v'), `${value}\n${value}\n`)
    }
    // A checkpoint of a restored sandbox restores too.
    await sh(app, sandboxId, 'echo d > /tmp/v')
    const third = await checkpoint(app, sandboxId)
    assert.equal(third.name, null)
    await sh(app, sandboxId, 'echo e > /tmp/v')
    const response = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${sandboxId}/checkpoints/${third.id}/restore`,
    })
    assert.equal(response.statusCode, 200, response.body)
    assert.equal(await sh(app, sandboxId, 'cat /tmp/v'), 'd\n')

    // Deleting the checkpoint the container runs from leaves its image until that container
    // goes; once the sandbox is deleted no image of its checkpoints is left, named or not.
    const inUse = await app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${sandboxId}/checkpoints/${third.id}`,
    })
    assert.equal(inUse.statusCode, 204)
    await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandboxId}?force=true` })
    const ours = () =>
      docker.listImages({
        filters: { label: ['wm.checkpoint', `wm.instance=${instanceId(config.dataDir)}`] },
      })
    for (let i = 0; i < 100 && (await ours()).length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.deepEqual(await ours(), [])
  },
)

test(
  'checkpoints are listed, deleted with their image and snapshot, and go with their sandbox',
  TIMEOUT,
  async (t) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app)
    const first = await checkpoint(app, sandboxId, 'first')
    const second = await checkpoint(app, sandboxId, 'second')

    const list = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/checkpoints` })
    assert.equal(list.statusCode, 200)
    assert.deepEqual(
      list.json().checkpoints.map((c: any) => [c.id, c.name, c.kind]),
      [
        [first.id, 'first', 'filesystem'],
        [second.id, 'second', 'filesystem'],
      ],
    )

    const snapshots = path.join(config.dataDir, 'checkpoints')
    assert.deepEqual((await fs.readdir(snapshots)).sort(), [first.id, second.id].sort())
    const deleted = await app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${sandboxId}/checkpoints/${first.id}`,
    })
    assert.equal(deleted.statusCode, 204)
    assert.equal(await imageExists(first.image), false)
    assert.deepEqual(await fs.readdir(snapshots), [second.id])
    const again = await app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${sandboxId}/checkpoints/${first.id}`,
    })
    assert.equal(again.statusCode, 404)
    assert.equal(again.json().error.code, 1007)
    const restoreGone = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${sandboxId}/checkpoints/${first.id}/restore`,
    })
    assert.equal(restoreGone.statusCode, 404)

    // Another sandbox's checkpoint id is not found through this one.
    const other = await createSandbox(t, app)
    const foreign = await app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${other.sandboxId}/checkpoints/${second.id}`,
    })
    assert.equal(foreign.statusCode, 404)

    const removed = await app.inject({
      method: 'DELETE',
      url: `/v1/sandboxes/${sandboxId}?force=true`,
    })
    assert.equal(removed.statusCode, 204)
    // Removed in the background once the sandbox row is gone.
    for (let i = 0; i < 100; i++) {
      if (!(await imageExists(second.image)) && !(await fs.readdir(snapshots)).length) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.equal(await imageExists(second.image), false)
    assert.deepEqual(await fs.readdir(snapshots), [])
    const gone = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}/checkpoints` })
    assert.equal(gone.statusCode, 404)
    assert.equal(gone.json().error.code, 2001)
  },
)

test(
  'WORKSPACE_ENABLE_CHECKPOINTS=false refuses every checkpoint route with 403 1003',
  TIMEOUT,
  async (t) => {
    const { app } = await sandboxApp(t, { WORKSPACE_ENABLE_CHECKPOINTS: 'false' })
    const { sandboxId } = await createSandbox(t, app)
    for (const [method, url] of [
      ['POST', `/v1/sandboxes/${sandboxId}/checkpoints`],
      ['GET', `/v1/sandboxes/${sandboxId}/checkpoints`],
      ['POST', `/v1/sandboxes/${sandboxId}/checkpoints/ck_x/restore`],
      ['DELETE', `/v1/sandboxes/${sandboxId}/checkpoints/ck_x`],
    ] as const) {
      const response = await app.inject({ method, url })
      assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`)
      assert.equal(response.json().error.code, 1003)
      assert.match(response.json().error.message, /WORKSPACE_ENABLE_CHECKPOINTS=false/)
    }
  },
)

test('checkpointing a sandbox that does not exist or is not running', TIMEOUT, async (t) => {
  const { app } = await sandboxApp(t)
  const missing = await app.inject({ method: 'POST', url: '/v1/sandboxes/sb_nope/checkpoints' })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().error.code, 2001)
  // Without auto_resume (the default with on_idle delete), a stopped sandbox is not started for it.
  const { sandboxId } = await createSandbox(t, app)
  const stopped = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sandboxId}/stop` })
  assert.equal(stopped.json().state, 'stopped')
  const refused = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/checkpoints`,
  })
  assert.equal(refused.statusCode, 409)
  assert.equal(refused.json().error.code, 2002)
})
