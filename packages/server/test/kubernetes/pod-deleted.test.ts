import { after, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createSandbox, run, sandboxApp } from '../helpers/sandbox.js'
import {
  KUBECONFIG,
  NO_CLUSTER,
  clusterEnv,
  freshNamespace,
  outside,
  waitUntil,
} from './cluster.js'

/*
 * The server on the Kubernetes runtime (WM_RUNTIME=kubernetes) against a real
 * cluster: a sandbox's pod deleted through the API behind the server's back,
 * as an operator would, is made again from the sandbox's Secret, with its
 * environment, as a removed container is on Docker.
 */

const TIMEOUT = { timeout: 240_000 }

async function state(app: FastifyInstance, id: string): Promise<string> {
  return (await app.inject({ method: 'GET', url: `/v1/sandboxes/${id}` })).json().state
}

if (!KUBECONFIG) {
  test('a pod deleted behind the server’s back', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { namespace, drop } = await freshNamespace(file)
  after(drop)

  test(
    'a pod deleted behind the server’s back is made again from the sandbox’s spec',
    TIMEOUT,
    async (t: TestContext) => {
      const { app, config } = await sandboxApp(t, {
        WM_RUNTIME: 'kubernetes',
        ...clusterEnv(file, namespace),
      })
      const view = outside(file, namespace, config.sandboxDefaults.containerPrefix)
      const { sandboxId } = await createSandbox(t, app, { env: { KEPT: 'yes' } })
      const before = (await view.readPod(sandboxId))?.metadata?.uid
      assert.ok(before, 'the sandbox has a pod')
      await view.deletePod(sandboxId)
      await waitUntil(
        async () => {
          const now = await view.readPod(sandboxId)
          return (
            (await state(app, sandboxId)) === 'running' &&
            now?.status?.phase === 'Running' &&
            now.metadata?.uid !== before
          )
        },
        90_000,
        'a new pod runs',
      )
      const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'echo "$KEPT"'] })
      assert.equal(result.status, 200, JSON.stringify(result.json))
      assert.equal((result.json as { stdout: string }).stdout, 'yes\n')
      await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandboxId}?force=true` })
      assert.equal(await view.readPod(sandboxId), undefined)
    },
  )
}
