import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createWorkspace } from '../helpers/app.js'
import { createSandbox, run, sandboxApp } from '../helpers/sandbox.js'
import {
  KUBECONFIG,
  NO_CLUSTER,
  clients,
  clusterEnv,
  freshNamespace,
  waitUntil,
} from './cluster.js'

/*
 * WM_K8S_WORKSPACE_VOLUME=pvc against a real cluster: the server's data dir
 * is a ReadWriteMany claim (here a PersistentVolume on the node's directory
 * the server uses, as deploy/kubernetes/data-volume.yaml makes one), and a
 * sandbox pod mounts only its workspace's directory of that claim. Files
 * written through the API are in the sandbox and the reverse, with or
 * without a sandbox running.
 */

const TIMEOUT = { timeout: 240_000 }
const CLAIM = 'wm-test-data'

function putFile(app: FastifyInstance, id: string, file: string, body: string) {
  return app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  })
}

function getFile(app: FastifyInstance, id: string, file: string) {
  return app.inject({
    method: 'GET',
    url: `/v1/workspaces/${id}/files/content?path=${encodeURIComponent(file)}`,
  })
}

async function stdout(app: FastifyInstance, sandboxId: string, script: string): Promise<string> {
  const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  const body = result.json as { stdout: string; stderr: string; exit_code: number }
  assert.equal(body.exit_code, 0, body.stderr)
  return body.stdout
}

if (!KUBECONFIG) {
  test('workspaces on the server’s data claim', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { core } = clients(file)
  const { namespace, drop } = await freshNamespace(file)
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-k8s-claim-'))
  // PersistentVolumes are cluster-wide: named after the namespace, deleted after it.
  const volume = `${namespace}-data`
  after(async () => {
    await drop()
    await core.deletePersistentVolume({ name: volume }).catch(() => undefined)
    await fs.rm(dataDir, { recursive: true, force: true })
  })

  test(
    'with WM_K8S_WORKSPACE_VOLUME=pvc a sandbox mounts its workspace’s directory of the data claim, and the file API sees the same files',
    TIMEOUT,
    async (t: TestContext) => {
      await core.createPersistentVolume({
        body: {
          metadata: { name: volume },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteMany'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: '',
            hostPath: { path: dataDir, type: 'Directory' },
            claimRef: { namespace, name: CLAIM },
          },
        },
      })
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: CLAIM },
          spec: {
            accessModes: ['ReadWriteMany'],
            storageClassName: '',
            volumeName: volume,
            resources: { requests: { storage: '1Gi' } },
          },
        },
      })
      // The claim binds to the volume in the controller's own time; a pod made before that
      // is refused as unschedulable (its claim unbound).
      await waitUntil(
        async () =>
          (await core.readNamespacedPersistentVolumeClaim({ name: CLAIM, namespace })).status
            ?.phase === 'Bound',
        60_000,
        'the data claim bound',
      )
      const { app } = await sandboxApp(t, {
        WM_RUNTIME: 'kubernetes',
        ...clusterEnv(file, namespace),
        WM_DATA_DIR: dataDir,
        WM_K8S_WORKSPACE_VOLUME: 'pvc',
        WM_K8S_DATA_CLAIM: CLAIM,
      })
      const workspaceId = await createWorkspace(app)
      assert.equal((await putFile(app, workspaceId, 'from-api.txt', 'api\n')).statusCode, 201)

      const { sandboxId } = await createSandbox(t, app, { workspace_id: workspaceId })
      assert.equal(await stdout(app, sandboxId, 'cat /workspace/from-api.txt'), 'api\n')
      await stdout(app, sandboxId, 'echo sandbox > /workspace/from-sandbox.txt')
      assert.equal((await getFile(app, workspaceId, 'from-sandbox.txt')).body, 'sandbox\n')

      // Only the workspace's own directory of the claim is mounted: the mount's root is it.
      const mountinfo = await stdout(app, sandboxId, 'cat /proc/self/mountinfo')
      const mount = mountinfo.split('\n').find((line) => line.split(' ')[4] === '/workspace')
      assert.ok(mount, mountinfo)
      assert.equal(mount.split(' ')[3], path.join(dataDir, 'workspaces', workspaceId))

      // A second sandbox of the workspace shares the directory read-write.
      const second = await createSandbox(t, app, { workspace_id: workspaceId })
      await stdout(app, second.sandboxId, 'echo second >> /workspace/from-sandbox.txt')
      assert.equal(
        await stdout(app, sandboxId, 'cat /workspace/from-sandbox.txt'),
        'sandbox\nsecond\n',
      )

      // With no sandbox running the file API keeps working on the same files.
      for (const id of [sandboxId, second.sandboxId]) {
        const removed = await app.inject({
          method: 'DELETE',
          url: `/v1/sandboxes/${id}?force=true`,
        })
        assert.equal(removed.statusCode, 204, removed.body)
      }
      assert.equal((await putFile(app, workspaceId, 'later.txt', 'later\n')).statusCode, 201)
      assert.equal((await getFile(app, workspaceId, 'from-sandbox.txt')).body, 'sandbox\nsecond\n')
      const third = await createSandbox(t, app, { workspace_id: workspaceId })
      assert.equal(await stdout(app, third.sandboxId, 'cat /workspace/later.txt'), 'later\n')
    },
  )
}
