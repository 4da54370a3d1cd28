/**
 * Any replica answers any call: a workspace and a sandbox made through one
 * replica are read, used, stopped, started, paused, resumed and deleted
 * through the other, and both replicas answer alike at every step.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TEST_TEMPLATE, call, expectStatus } from './client.js'
import { useCluster, type Replica } from './cluster.js'

const cluster = useCluster()

/** A sandbox as both replicas must agree on it (last activity is kept per replica for a few seconds). */
function comparable(sandbox: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...sandbox }
  delete rest.last_activity_at
  return rest
}

/** GET the sandbox on both replicas: the same answer, which is returned. */
async function sameOnBoth(a: Replica, b: Replica, id: string): Promise<Record<string, any>> {
  const [onA, onB] = await Promise.all([
    expectStatus(200, a.url, 'GET', `/v1/sandboxes/${id}`),
    expectStatus(200, b.url, 'GET', `/v1/sandboxes/${id}`),
  ])
  assert.deepEqual(comparable(onB), comparable(onA))
  return onA
}

async function listed(replica: Replica, id: string): Promise<Record<string, unknown> | undefined> {
  const { sandboxes } = await expectStatus(200, replica.url, 'GET', '/v1/sandboxes')
  return (sandboxes as Array<Record<string, unknown>>).find((sandbox) => sandbox.id === id)
}

async function run(replica: Replica, id: string, script: string): Promise<Record<string, any>> {
  return expectStatus(200, replica.url, 'POST', `/v1/sandboxes/${id}/processes`, {
    cmd: 'sh',
    args: ['-c', script],
  })
}

async function putFile(replica: Replica, workspaceId: string, file: string, text: string) {
  const response = await fetch(
    `${replica.url}/v1/workspaces/${workspaceId}/files/content?path=${encodeURIComponent(file)}`,
    { method: 'PUT', body: text, headers: { 'content-type': 'application/octet-stream' } },
  )
  assert.equal(response.status, 201, await response.text())
}

async function getFile(replica: Replica, workspaceId: string, file: string): Promise<string> {
  const response = await fetch(
    `${replica.url}/v1/workspaces/${workspaceId}/files/content?path=${encodeURIComponent(file)}`,
  )
  assert.equal(response.status, 200)
  return response.text()
}

for (const [maker, user] of [
  ['a', 'b'],
  ['b', 'a'],
] as const) {
  test(
    `made through ${maker}, used through ${user}: both replicas answer alike`,
    cluster.logged(async () => {
      const made = cluster.current.replica(maker)
      const used = cluster.current.replica(user)

      const workspace = await expectStatus(201, made.url, 'POST', '/v1/workspaces', {
        name: `made-on-${maker}`,
      })
      const created = await expectStatus(201, made.url, 'POST', '/v1/sandboxes', {
        workspace_id: workspace.id,
        template: TEST_TEMPLATE,
      })
      assert.equal(created.state, 'running')
      const id = created.id as string

      // Read: get, list, the workspace.
      assert.equal((await sameOnBoth(made, used, id)).state, 'running')
      const [inMade, inUsed] = await Promise.all([listed(made, id), listed(used, id)])
      assert.ok(inUsed, `${id} is not listed by replica ${user}`)
      assert.deepEqual(comparable(inUsed), comparable(inMade!))
      assert.deepEqual(
        await expectStatus(200, used.url, 'GET', `/v1/workspaces/${workspace.id}`),
        await expectStatus(200, made.url, 'GET', `/v1/workspaces/${workspace.id}`),
      )

      // Files, both ways, and as the sandbox sees them.
      await putFile(used, workspace.id, 'notes/from-user.txt', `written through ${user}\n`)
      await putFile(made, workspace.id, 'notes/from-maker.txt', `written through ${maker}\n`)
      assert.equal(
        await getFile(made, workspace.id, 'notes/from-user.txt'),
        `written through ${user}\n`,
      )
      assert.equal(
        await getFile(used, workspace.id, 'notes/from-maker.txt'),
        `written through ${maker}\n`,
      )
      const seen = await run(
        used,
        id,
        'cat /workspace/notes/from-user.txt /workspace/notes/from-maker.txt',
      )
      assert.equal(seen.stdout, `written through ${user}\nwritten through ${maker}\n`)

      // A command: the same container answers through either replica.
      const onUsed = await run(used, id, 'echo $((6 * 7)); hostname')
      const onMade = await run(made, id, 'echo $((6 * 7)); hostname')
      assert.equal(onUsed.exit_code, 0)
      assert.equal(onUsed.stdout, onMade.stdout)
      assert.match(onUsed.stdout, /^42\n/)

      // Stop and start through the user; the maker sees each state.
      assert.equal(
        (await expectStatus(200, used.url, 'POST', `/v1/sandboxes/${id}/stop`)).state,
        'stopped',
      )
      assert.equal((await sameOnBoth(made, used, id)).state, 'stopped')
      assert.equal(
        (await expectStatus(200, used.url, 'POST', `/v1/sandboxes/${id}/start`)).state,
        'running',
      )
      assert.equal((await sameOnBoth(made, used, id)).state, 'running')
      assert.equal((await run(made, id, 'echo started again')).stdout, 'started again\n')

      // Pause and resume through the user.
      assert.equal(
        (await expectStatus(200, used.url, 'POST', `/v1/sandboxes/${id}/pause`)).state,
        'paused',
      )
      assert.equal((await sameOnBoth(made, used, id)).state, 'paused')
      assert.equal(
        (await expectStatus(200, used.url, 'POST', `/v1/sandboxes/${id}/resume`)).state,
        'running',
      )
      assert.equal((await sameOnBoth(made, used, id)).state, 'running')
      assert.equal((await run(made, id, 'echo resumed')).stdout, 'resumed\n')

      // Delete through the user: gone for both, container included.
      await expectStatus(204, used.url, 'DELETE', `/v1/sandboxes/${id}`)
      for (const replica of [made, used]) {
        const gone = await call(replica.url, 'GET', `/v1/sandboxes/${id}`)
        assert.equal(gone.status, 404, gone.text)
        assert.equal(gone.json.error.code, 2001)
        assert.equal(await listed(replica, id), undefined)
      }
      assert.ok(!(await cluster.current.containerSandboxIds()).includes(id))
      await expectStatus(204, used.url, 'DELETE', `/v1/workspaces/${workspace.id}`)
      const workspaceGone = await call(made.url, 'GET', `/v1/workspaces/${workspace.id}`)
      assert.equal(workspaceGone.status, 404, workspaceGone.text)
    }),
  )
}
