/**
 * The Kubernetes runtime beside the Docker one, in one run:
 *   1. sandbox create -> running (POST /v1/sandboxes, which answers once the
 *      agent does), each sandbox deleted after its create, untimed;
 *   2. exec of `echo hi` (POST /v1/sandboxes/{id}/processes) in one running
 *      sandbox of each.
 * Each runtime gets its own app (built in-process), data dir and workspace;
 * the Kubernetes one puts its pods in a namespace of their own, made for the
 * run and deleted after it. The two are timed alternately, one call each in
 * turn, the order swapped every run, so that load from elsewhere on the
 * machine falls on both alike. Run: npm run bench:k8s (see
 * bench/kubernetes.bench.ts).
 */
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs/promises'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import { clusterEnv, freshNamespace } from '../packages/server/test/kubernetes/cluster.js'
import { timeAlternately } from './stats.js'
import type { BenchTable } from './table.js'
import { Cleanup, client, type Reply } from './store.js'

/** What the Kubernetes rows are run with. */
export interface KubernetesBench {
  /** Timed creates per runtime. */
  createRuns: number
  /** Timed execs per runtime. */
  execRuns: number
  /** Untimed execs per runtime before the timed ones. */
  execWarmup: number
  /** Image of the sandboxes. */
  template: string
  /** Kubeconfig of the cluster the pods run on. */
  kubeconfig: string
  /** The agent image the cluster holds. */
  agentImage: string
  /** Where the rows are recorded. */
  table: BenchTable
}

/** One runtime's app, reached over its own keep-alive connection, with a workspace. */
interface Side {
  request: (method: string, route: string, body?: unknown) => Promise<Reply>
  workspaceId: string
}

/** Builds an app with `env` on a fresh data dir and makes a workspace in it; `cleanup` undoes each step. */
async function openSide(
  bench: KubernetesBench,
  env: Record<string, string>,
  cleanup: Cleanup,
): Promise<Side> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-k8s-'))
  cleanup.add(`removing ${dataDir}`, () => fs.rm(dataDir, { recursive: true, force: true }))
  const base = { ...process.env }
  // The Docker side must not inherit a Kubernetes runtime from the caller's environment.
  delete base.WM_RUNTIME
  const config = loadConfig({
    ...base,
    ...env,
    WM_DATA_DIR: dataDir,
    WORKSPACE_DEFAULT_IMAGE: bench.template,
    // NFS is not measured here; off, so a server already serving on 12049 is no obstacle.
    WM_NFS_ENABLED: 'false',
  })
  const app = await buildApp(config, { logger: pino({ level: 'warn' }) })
  cleanup.add('closing the app', () => app.close())
  const send = client(new URL(await app.listen({ host: '127.0.0.1', port: 0 })), cleanup)
  // The call in flight when a signal comes (one at a time: the bench awaits
  // each), so that the sweep below sees the sandbox a create was making.
  let inFlight: Promise<unknown> = Promise.resolve()
  const request: Side['request'] = (method, route, body) => {
    const reply = send(method, route, body)
    inFlight = reply.catch(() => undefined)
    return reply
  }
  const workspace = await request('POST', '/v1/workspaces', {})
  if (workspace.status !== 201) throw new Error(`workspace: ${workspace.status} ${workspace.text}`)
  const workspaceId = (JSON.parse(workspace.text) as { id: string }).id
  cleanup.add('deleting the workspace', () => request('DELETE', `/v1/workspaces/${workspaceId}`))
  // Whatever sandbox is left in the workspace (a create interrupted before its
  // reply named it) is deleted through the app, before the app closes.
  cleanup.add('deleting the sandboxes left', async () => {
    await inFlight
    const list = await send('GET', `/v1/sandboxes?workspace_id=${workspaceId}`)
    const { sandboxes } = JSON.parse(list.text) as { sandboxes: Array<{ id: string }> }
    for (const { id } of sandboxes) await send('DELETE', `/v1/sandboxes/${id}?force=true`)
  })
  return { request, workspaceId }
}

/** Creates a running sandbox on `side`; the returned function deletes it (at most once). */
async function createSandbox(side: Side, cleanup: Cleanup): Promise<[string, () => Promise<void>]> {
  const reply = await side.request('POST', '/v1/sandboxes?wait=true', {
    workspace_id: side.workspaceId,
  })
  if (reply.status !== 201) throw new Error(`sandbox: ${reply.status} ${reply.text}`)
  const created = JSON.parse(reply.text) as { id: string; state: string }
  let deleted: Promise<void> | undefined
  const remove = () =>
    (deleted ??= side.request('DELETE', `/v1/sandboxes/${created.id}?force=true`).then((gone) => {
      // 404: the sweep at clean-up deleted it first.
      if (gone.status >= 300 && gone.status !== 404)
        throw new Error(`delete: ${gone.status} ${gone.text}`)
    }))
  cleanup.add(`deleting sandbox ${created.id}`, remove)
  if (created.state !== 'running') throw new Error(`sandbox not running: ${reply.text}`)
  return [created.id, remove]
}

/** Records one row, Kubernetes beside Docker, with its target when it has one. */
function addRow(
  table: BenchTable,
  title: string,
  k8s: number[],
  docker: number[],
  target?: number,
): void {
  table.latency(title, k8s, docker, 'Docker runtime', {
    oursLabel: 'Kubernetes runtime',
    note: target === undefined ? undefined : `target: within ${target.toFixed(2)}x of Docker`,
  })
}

/**
 * Create -> running and exec of `echo hi`, on Kubernetes beside Docker (see
 * the top of this file). Everything it starts (apps, sandboxes, workspaces,
 * the namespace, data dirs) is removed before it returns or throws, and on
 * SIGINT/SIGTERM.
 */
export async function kubernetesRows(bench: KubernetesBench): Promise<void> {
  const cleanup = new Cleanup()
  // A signal starts the clean-up at once; the benchmark then fails on what is
  // gone, and exits with the signal's status once the last step is undone. A
  // second signal kills at once (the handlers are gone by then).
  let signalled: NodeJS.Signals | undefined
  const interrupted = (signal: NodeJS.Signals) => {
    signalled = signal
    void cleanup.run()
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const { namespace, drop } = await freshNamespace(bench.kubeconfig)
    cleanup.add(`deleting namespace ${namespace}`, drop)
    console.log(`namespace: ${namespace}, agent image ${bench.agentImage}`)
    const docker = await openSide(bench, {}, cleanup)
    const k8s = await openSide(
      bench,
      {
        WM_RUNTIME: 'kubernetes',
        ...clusterEnv(bench.kubeconfig, namespace),
        WM_K8S_AGENT_IMAGE: bench.agentImage,
      },
      cleanup,
    )

    // One untimed create each first: the first pod pays for the namespace's
    // first scheduling and the image's first use on the node.
    for (const side of [k8s, docker]) await (await createSandbox(side, cleanup))[1]()
    const createTimes: [number[], number[]] = [[], []]
    const timeCreate = async (side: Side, into: number[]) => {
      const started = process.hrtime.bigint()
      const [, remove] = await createSandbox(side, cleanup)
      into.push(Number(process.hrtime.bigint() - started) / 1e6)
      await remove()
    }
    for (let i = 0; i < bench.createRuns; i++) {
      if (i % 2 === 0) {
        await timeCreate(k8s, createTimes[0])
        await timeCreate(docker, createTimes[1])
      } else {
        await timeCreate(docker, createTimes[1])
        await timeCreate(k8s, createTimes[0])
      }
    }
    addRow(
      bench.table,
      'sandbox create -> running (POST /v1/sandboxes, until the agent answers)',
      ...createTimes,
    )

    const [k8sId] = await createSandbox(k8s, cleanup)
    const [dockerId] = await createSandbox(docker, cleanup)
    const exec = (side: Side, id: string) => async () => {
      const reply = await side.request('POST', `/v1/sandboxes/${id}/processes`, {
        cmd: 'echo',
        args: ['hi'],
      })
      if (reply.status !== 200 || !reply.text.includes('"stdout":"hi\\n"'))
        throw new Error(`exec: ${reply.status} ${reply.text}`)
    }
    const [execK8s, execDocker] = await timeAlternately(
      bench.execRuns,
      bench.execWarmup,
      exec(k8s, k8sId),
      exec(docker, dockerId),
    )
    addRow(
      bench.table,
      'exec `echo hi` in a running sandbox (POST processes)',
      execK8s,
      execDocker,
      1.5,
    )
  } finally {
    await cleanup.run()
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    if (signalled) process.exit(signalled === 'SIGINT' ? 130 : 143)
  }
}
