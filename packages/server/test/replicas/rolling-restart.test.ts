/**
 * A rolling restart as docs/deployment.md describes it, behind HAProxy: each
 * replica in turn is drained, stopped with SIGTERM and started again, while
 * commands keep running through the load balancer without one failing.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TEST_TEMPLATE, call, expectStatus, until } from './client.js'
import { useCluster, type Replica } from './cluster.js'

const cluster = useCluster()

async function isLeader(replica: Replica): Promise<boolean> {
  const health = await expectStatus(200, replica.url, 'GET', '/health')
  return health.replica?.leader === true
}

test(
  'each replica drained, stopped with SIGTERM and started again: no call through the load balancer fails',
  { timeout: 240_000 },
  cluster.logged(async (t) => {
    const { lbUrl, lbCommand, lbServerStatus } = cluster.current
    const workspace = await expectStatus(201, lbUrl, 'POST', '/v1/workspaces', { name: 'rolling' })
    const sandbox = await expectStatus(201, lbUrl, 'POST', '/v1/sandboxes', {
      workspace_id: workspace.id,
      template: TEST_TEMPLATE,
    })

    // Commands through the balancer for as long as the restart lasts.
    let calls = 0
    const failures: string[] = []
    let restarting = true
    const traffic = (async () => {
      while (restarting) {
        const reply = await call(lbUrl, 'POST', `/v1/sandboxes/${sandbox.id}/processes`, {
          cmd: 'echo',
          args: ['still here'],
        }).catch((error: unknown) => ({ status: 0, text: String(error), json: undefined }))
        calls++
        if (reply.status !== 200 || reply.json?.stdout !== 'still here\n') {
          failures.push(`${reply.status} ${reply.text}`)
        }
      }
    })()

    for (const replica of [cluster.current.a, cluster.current.b]) {
      const other = cluster.current.other(replica)
      assert.equal((await lbCommand(`set server replicas/${replica.id} state drain`)).trim(), '')
      replica.process.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        replica.process.exited,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${replica.id} ignored SIGTERM`)), 30_000)
        }),
      ]).finally(() => clearTimeout(timer))
      await until(`${other.id} to lead`, 15_000, async () =>
        (await isLeader(other)) ? true : undefined,
      )

      await cluster.current.restart(replica)
      await lbCommand(`set server replicas/${replica.id} state ready`)
      // Back in rotation only once its health checks pass (`rise 2`).
      let status = ''
      await until(
        `HAProxy to see ${replica.id} up`,
        30_000,
        async () => ((status = await lbServerStatus(replica.id)) === 'UP' ? true : undefined),
        () => status,
      )
    }
    restarting = false
    await traffic
    t.diagnostic(`${calls} commands through the load balancer during the restart`)
    assert.deepEqual(failures, [])
    assert.ok(calls > 0)

    // The sandbox outlived both restarts and answers through each replica.
    for (const replica of [cluster.current.a, cluster.current.b]) {
      const seen = await expectStatus(200, replica.url, 'GET', `/v1/sandboxes/${sandbox.id}`)
      assert.equal(seen.state, 'running')
    }
    await expectStatus(204, lbUrl, 'DELETE', `/v1/sandboxes/${sandbox.id}?force=true`)
    await expectStatus(204, lbUrl, 'DELETE', `/v1/workspaces/${workspace.id}`)
  }),
)
