import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { TEST_TEMPLATE, call, expectStatus, until } from '../replicas/client.js'
import { startCluster, type Replica, type ReplicaCluster } from '../replicas/cluster.js'
import { KUBECONFIG, NO_CLUSTER, clients, clusterEnv, freshNamespace } from './cluster.js'

/*
 * Two server replicas on PostgreSQL (the replica suite's cluster: one shared
 * data dir, HAProxy in front) on the Kubernetes runtime: a sandbox is one pod,
 * whichever replica is asked. Made through A, used, stopped and started
 * through B, deleted through A; one leader, and both replicas say which.
 * Runs in the node's network namespace (scripts/k8s/in-node.sh).
 */

const TIMEOUT = { timeout: 300_000 }

async function run(replica: Replica, id: string, script: string): Promise<Record<string, any>> {
  return expectStatus(200, replica.url, 'POST', `/v1/sandboxes/${id}/processes`, {
    cmd: 'sh',
    args: ['-c', script],
  })
}

function contentUrl(replica: Replica, workspaceId: string, file: string): string {
  return `${replica.url}/v1/workspaces/${workspaceId}/files/content?path=${encodeURIComponent(file)}`
}

if (!KUBECONFIG) {
  test('two replicas on the Kubernetes runtime', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { core } = clients(file)
  const { namespace, drop } = await freshNamespace(file)
  let cluster: ReplicaCluster | undefined
  before(async () => {
    cluster = await startCluster({
      env: {
        ...clusterEnv(file, namespace),
        WM_RUNTIME: 'kubernetes',
        // The agent image the test cluster holds under this name (up.sh loads it).
        WM_K8S_AGENT_IMAGE: 'wm-agent:latest',
      },
    })
  })
  after(async () => {
    // The servers first, so nothing makes pods while the namespace goes.
    await cluster?.stop()
    await drop()
  })

  /** The pods of sandbox `id` in the test namespace, as the cluster lists them. */
  const podsOf = async (id: string) =>
    (await core.listNamespacedPod({ namespace, labelSelector: `wm.sandbox=${id}` })).items

  test(
    'a sandbox made through A is used, stopped and started through B and deleted through A',
    TIMEOUT,
    async () => {
      const current = cluster!
      try {
        const { a, b } = current
        const workspace = await expectStatus(201, a.url, 'POST', '/v1/workspaces', {
          name: 'k8s-replicas',
        })
        const created = await expectStatus(201, a.url, 'POST', '/v1/sandboxes', {
          workspace_id: workspace.id,
          template: TEST_TEMPLATE,
        })
        assert.equal(created.state, 'running')
        const id = created.id as string
        const pods = await podsOf(id)
        assert.equal(pods.length, 1, 'the sandbox is one pod in the namespace')
        assert.equal(pods[0]!.status?.phase, 'Running')

        // A command through B, in the sandbox A made.
        const ran = await run(b, id, 'echo $((6 * 7)); hostname')
        assert.equal(ran.exit_code, 0)
        // The hostname the pod was given (else its name): the command ran in that pod.
        const hostname = pods[0]!.spec?.hostname ?? pods[0]!.metadata?.name
        assert.equal(ran.stdout, `42\n${hostname}\n`)

        // A file written through B's API is the sandbox's; one the sandbox writes is read through B.
        const put = await fetch(contentUrl(b, workspace.id, 'notes/from-b.txt'), {
          method: 'PUT',
          body: 'written through b\n',
          headers: { 'content-type': 'application/octet-stream' },
        })
        assert.equal(put.status, 201, await put.text())
        const seen = await run(
          b,
          id,
          'cat /workspace/notes/from-b.txt; echo made inside > /workspace/inside.txt',
        )
        assert.equal(seen.stdout, 'written through b\n')
        const got = await fetch(contentUrl(b, workspace.id, 'inside.txt'))
        assert.equal(got.status, 200)
        assert.equal(await got.text(), 'made inside\n')

        // Stop through B: the pod goes, A sees the state; start through B: a pod again, files kept.
        assert.equal(
          (await expectStatus(200, b.url, 'POST', `/v1/sandboxes/${id}/stop`)).state,
          'stopped',
        )
        assert.equal(
          (await expectStatus(200, a.url, 'GET', `/v1/sandboxes/${id}`)).state,
          'stopped',
        )
        await until('the stopped sandbox’s pod to be gone', 60_000, async () =>
          (await podsOf(id)).length === 0 ? true : undefined,
        )
        assert.equal(
          (await expectStatus(200, b.url, 'POST', `/v1/sandboxes/${id}/start`)).state,
          'running',
        )
        assert.equal(
          (await expectStatus(200, a.url, 'GET', `/v1/sandboxes/${id}`)).state,
          'running',
        )
        assert.equal((await podsOf(id)).length, 1)
        const again = await run(b, id, 'cat /workspace/notes/from-b.txt /workspace/inside.txt')
        assert.equal(again.stdout, 'written through b\nmade inside\n')

        // Delete through A: gone for both replicas, and its pod gone from the cluster.
        await expectStatus(204, a.url, 'DELETE', `/v1/sandboxes/${id}`)
        for (const replica of [a, b]) {
          const gone = await call(replica.url, 'GET', `/v1/sandboxes/${id}`)
          assert.equal(gone.status, 404, gone.text)
        }
        await until('the deleted sandbox’s pod to be gone', 60_000, async () =>
          (await podsOf(id)).length === 0 ? true : undefined,
        )
        await expectStatus(204, a.url, 'DELETE', `/v1/workspaces/${workspace.id}`)
      } catch (error) {
        current.printLogs()
        throw error
      }
    },
  )

  test('one replica leads, and both say which in /health', TIMEOUT, async () => {
    const current = cluster!
    const health = async (replica: Replica) =>
      (await expectStatus(200, replica.url, 'GET', '/health')).replica as {
        id: string
        leader: boolean
        leader_id: string | null
      }
    let seen = ''
    const leaderId = await until(
      'exactly one leader, named by both replicas',
      30_000,
      async () => {
        const views = [await health(current.a), await health(current.b)]
        seen = JSON.stringify(views)
        const leaders = views.filter((view) => view.leader)
        if (leaders.length !== 1) return undefined
        return views.every((view) => view.leader_id === leaders[0]!.id) ? leaders[0]!.id : undefined
      },
      () => seen,
    )
    assert.ok(['a', 'b'].includes(leaderId), `the leader is a replica: ${seen}`)
  })
}
