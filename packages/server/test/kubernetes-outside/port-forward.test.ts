import { after, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node'
import { connectVerified } from '../../src/agent/handshake.js'
import { RuntimeError } from '../../src/runtime/errors.js'
import type { AgentEndpoint, SandboxSpec } from '../../src/runtime/types.js'
import { waitForAgentHello } from '../../src/services/agent-ready.js'
import { createWorkspace } from '../helpers/app.js'
import { TEST_TEMPLATE, createSandbox, parseSse, run, sandboxApp } from '../helpers/sandbox.js'
import {
  KUBECONFIG,
  NO_CLUSTER,
  clients,
  clusterEnv,
  freshNamespace,
  makeRuntime,
  outside,
  waitUntil,
} from '../kubernetes/cluster.js'

/*
 * A server OUTSIDE the cluster's network: this file runs in the host's
 * network namespace (not through scripts/k8s/in-node.sh), where pod IPs do
 * not route and only the API server (the kubeconfig's address) answers. With
 * WM_K8S_AGENT_ACCESS=port-forward every agent connection goes through the
 * API server's port-forward; with the default (pod-ip) a create fails.
 */

const TIMEOUT = { timeout: 300_000 }
const PREFIX = 'wm_pf_'
const FORWARD = { WM_K8S_AGENT_ACCESS: 'port-forward' }

async function stdoutOf(app: FastifyInstance, sandboxId: string, script: string): Promise<string> {
  const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  return (result.json as { stdout: string }).stdout
}

async function lifecycle(app: FastifyInstance, sandboxId: string, operation: string) {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/${operation}`,
  })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<{ state: string }>().state
}

/** Whether a verified hello at `endpoint` fails (nothing forwards there, or not to this agent). */
async function refused(endpoint: AgentEndpoint, token: string): Promise<boolean> {
  return connectVerified(endpoint, token, 10_000).then(
    (socket) => {
      socket.destroy()
      return false
    },
    () => true,
  )
}

/**
 * A kubeconfig file for a service account of `namespace` that may read pods
 * and nothing else (no `pods/portforward`), readable once RBAC says so.
 */
async function podReaderKubeconfig(file: string, namespace: string, dir: string): Promise<string> {
  const { core, kubeConfig } = clients(file)
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api)
  const name = 'pod-reader'
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get'] }],
    },
  })
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  })
  const token = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  })
  const cluster = kubeConfig.getCurrentCluster()!
  const restricted = new KubeConfig()
  restricted.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token: token.status!.token }],
    contexts: [{ name, cluster: cluster.name, user: name }],
    currentContext: name,
  })
  const target = path.join(dir, 'pod-reader.kubeconfig')
  await fs.writeFile(target, restricted.exportConfig(), { mode: 0o600 })
  // RBAC reaches the authorizer shortly after it is written: wait until it reads pods.
  const reader = clients(target).core
  await waitUntil(
    () =>
      reader.readNamespacedSecret({ name: 'none', namespace }).then(
        () => true,
        (error: { code?: number }) => error.code === 404,
      ),
    30_000,
    'the service account may read in the namespace',
  )
  return target
}

if (!KUBECONFIG) {
  test('agents through the API server’s port-forward', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { namespace, drop } = await freshNamespace(file)
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-k8s-outside-'))
  after(async () => {
    await drop()
    await fs.rm(dir, { recursive: true, force: true })
  })

  test(
    'a server outside the cluster runs commands, files, streams and restarts through port-forward',
    TIMEOUT,
    async (t: TestContext) => {
      const { app } = await sandboxApp(t, {
        WM_RUNTIME: 'kubernetes',
        ...clusterEnv(file, namespace),
        ...FORWARD,
      })
      const { sandboxId, workspaceId } = await createSandbox(t, app)
      assert.equal(await stdoutOf(app, sandboxId, 'echo hello; echo oops >&2'), 'hello\n')

      // Files both ways: written by the API, read in the sandbox, and the other way round.
      const put = await app.inject({
        method: 'PUT',
        url: `/v1/workspaces/${workspaceId}/files/content?path=notes/in.txt`,
        payload: 'from the API\n',
        headers: { 'content-type': 'application/octet-stream' },
      })
      assert.equal(put.statusCode, 201, put.body)
      assert.equal(await stdoutOf(app, sandboxId, 'cat /workspace/notes/in.txt'), 'from the API\n')
      await stdoutOf(app, sandboxId, 'echo from the sandbox > /workspace/notes/out.txt')
      const got = await app.inject({
        method: 'GET',
        url: `/v1/workspaces/${workspaceId}/files/content?path=notes/out.txt`,
      })
      assert.equal(got.statusCode, 200, got.body)
      assert.equal(got.body, 'from the sandbox\n')

      // A long process's output as it comes (SSE), through one forwarded connection.
      const streamed = await app.inject({
        method: 'POST',
        url: `/v1/sandboxes/${sandboxId}/processes`,
        headers: { accept: 'text/event-stream' },
        payload: {
          cmd: 'sh',
          args: [
            '-c',
            'for i in 1 2 3 4 5; do echo tick$i; sleep 0.3; done; echo done >&2; exit 3',
          ],
        },
      })
      assert.equal(streamed.statusCode, 200)
      const events = parseSse(streamed.body)
      assert.equal(events[0]?.event, 'start')
      const text = (type: string) =>
        events
          .filter((e) => e.event === type)
          .map((e) => e.data.data)
          .join('')
      assert.equal(text('stdout'), 'tick1\ntick2\ntick3\ntick4\ntick5\n')
      assert.equal(text('stderr'), 'done\n')
      assert.equal(events.at(-1)?.event, 'exit')
      assert.equal(events.at(-1)?.data.code, 3)

      // Stop and start: a new pod, reached through a new forwarder; the workspace is kept.
      const view = outside(file, namespace, 'wm_ws_')
      const before = (await view.readPod(sandboxId))?.metadata?.uid
      assert.equal(await lifecycle(app, sandboxId, 'stop'), 'stopped')
      assert.equal(await view.readPod(sandboxId), undefined)
      assert.equal(await lifecycle(app, sandboxId, 'start'), 'running')
      const now = (await view.readPod(sandboxId))?.metadata?.uid
      assert.ok(now && now !== before, 'the sandbox runs in a new pod')
      assert.equal(
        await stdoutOf(app, sandboxId, 'cat /workspace/notes/out.txt'),
        'from the sandbox\n',
      )

      const deleted = await app.inject({
        method: 'DELETE',
        url: `/v1/sandboxes/${sandboxId}?force=true`,
      })
      assert.ok(deleted.statusCode < 300, deleted.body)
      assert.equal(await view.readPod(sandboxId), undefined)
    },
  )

  test(
    'with pod-ip, where pod IPs do not route, a create fails within the agent start timeout',
    TIMEOUT,
    async (t: TestContext) => {
      const { app } = await sandboxApp(t, {
        WM_RUNTIME: 'kubernetes',
        ...clusterEnv(file, namespace),
        // The pod itself starts in a few seconds from the images the node holds.
        WM_AGENT_START_TIMEOUT_SECONDS: '15',
      })
      const workspaceId = await createWorkspace(app)
      const response = await app.inject({
        method: 'POST',
        url: '/v1/sandboxes',
        payload: { workspace_id: workspaceId },
      })
      // Whatever the host does with packets for the pod network (drops them, or something else
      // answers), no agent proves itself there: a 503 once the wait is over, not a hang.
      assert.equal(response.statusCode, 503, response.body)
      const { error } = response.json<{ error: { code: number; message: string } }>()
      assert.equal(error.code, 3003)
      assert.match(error.message, /^sandbox could not start: the agent did not start within 15 s/)
    },
  )

  test(
    'one forwarder per pod: a new pod of the same name is not reached through the old one; refusals are RuntimeErrors',
    TIMEOUT,
    async () => {
      const instanceId = `pf-${randomBytes(4).toString('hex')}`
      const runtime = makeRuntime(file, namespace, instanceId, PREFIX, undefined, FORWARD)
      const view = outside(file, namespace, PREFIX)
      const sandboxId = `sb_${randomBytes(6).toString('hex')}`
      const workspace = await fs.mkdtemp(path.join(dir, 'ws-'))
      await fs.chmod(workspace, 0o777)
      const spec: SandboxSpec = {
        sandboxId,
        workspaceId: 'ws_outside',
        containerName: `${PREFIX}${sandboxId}`,
        image: TEST_TEMPLATE,
        env: {},
        nanoCpus: 1e9,
        memoryBytes: 256 * 1024 ** 2,
        pidsLimit: 128,
        networkMode: 'none',
        workspaceHostDir: workspace,
        containerWorkspaceDir: '/workspace',
        agentBinaryHostPath: '',
        runHostDir: '/nonexistent',
        agentToken: randomBytes(16).toString('hex'),
        toolsVolume: null,
        runImageCommand: false,
        restoreFrom: null,
      }
      const running = async () =>
        (await runtime.inspect(sandboxId))?.running ? null : 'the pod is not running'
      try {
        await runtime.start(spec)
        const first = await runtime.agentEndpoint(sandboxId, '')
        assert.equal('host' in first && first.host, '127.0.0.1')
        await waitForAgentHello(first, spec.agentToken, 60_000, running)
        assert.deepEqual(
          await runtime.agentEndpoint(sandboxId, ''),
          first,
          'the same pod, the same listener',
        )

        // An account without pods/portforward: a clear refusal, not a connection that fails later.
        const restricted = makeRuntime(
          await podReaderKubeconfig(file, namespace, dir),
          namespace,
          instanceId,
          PREFIX,
          undefined,
          FORWARD,
        )
        await assert.rejects(
          restricted.agentEndpoint(sandboxId, ''),
          (error: unknown) =>
            error instanceof RuntimeError &&
            error.kind === 'unavailable' &&
            /refused to open a port-forward to the agent of sandbox .* \(RBAC: pods\/portforward create and get\) \(403\)/.test(
              error.message,
            ),
        )
        await restricted.close()

        // The pod deleted and made again behind the forwarder's back: same name, new uid.
        const before = (await view.readPod(sandboxId))?.metadata?.uid
        await view.deletePod(sandboxId)
        await waitUntil(
          async () => (await view.readPod(sandboxId)) === undefined,
          60_000,
          'the pod is gone',
        )
        await runtime.startExisting(sandboxId)
        assert.notEqual((await view.readPod(sandboxId))?.metadata?.uid, before)
        assert.ok(
          await refused(first, spec.agentToken),
          'the old forwarder does not reach the new pod',
        )
        const second = await runtime.agentEndpoint(sandboxId, '')
        await waitForAgentHello(second, spec.agentToken, 60_000, running)

        // Stopped: its listener is closed.
        await runtime.stop(sandboxId, 0)
        assert.ok(await refused(second, spec.agentToken), 'nothing forwards to a stopped sandbox')
      } finally {
        await runtime.remove(sandboxId, 0).catch(() => undefined)
        await runtime.close()
      }
    },
  )
}
