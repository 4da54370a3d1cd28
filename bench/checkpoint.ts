/**
 * Process checkpoints under gVisor, ours beside the same steps done by hand
 * with dockerode in one run:
 *   1. checkpoint, the sandbox running on afterwards: our API vs `docker
 *      checkpoint create` + commit + a new container started from the
 *      checkpoint (runsc cannot start a checkpointed container again);
 *   2. restore: our API vs a new container from the image + the saved state.
 * Our side also saves and puts back the workspace, and waits for the agent.
 * A row of `npm run bench`; alone: npm run bench:checkpoint
 * (bench/checkpoint.bench.ts). Needs the engine with runsc registered and
 * experimental, as the bootstrap sets it up.
 */
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import Docker from 'dockerode'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import { timeRuns } from './stats.js'
import type { BenchTable } from './table.js'

const TEMPLATE = 'workspace-test:latest'
const docker = new Docker()
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done'

/** The fields of our replies this benchmark reads. */
interface Reply {
  id: string
  kind?: string
}

async function call(base: URL, method: string, route: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      new URL(route, base),
      { method, headers: payload ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let out = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (out += chunk))
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve(out) : reject(new Error(`${route}: ${out}`)),
        )
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
  return (text ? JSON.parse(text) : {}) as Reply
}

/** The raw side: one container under runsc, checkpointed and resumed by hand. */
class RawSandbox {
  #container: Docker.Container | undefined
  #generation = 0
  constructor(
    readonly rootDir: string,
    readonly saved: string,
  ) {}

  async #create(image: string): Promise<Docker.Container> {
    return docker.createContainer({
      name: `wm-bench-ck-${process.pid}-${this.#generation++}`,
      Image: image,
      Cmd: ['sh', '-c', COUNTER],
      NetworkDisabled: true,
      HostConfig: { Runtime: 'runsc', NetworkMode: 'none', Memory: 512 * 2 ** 20 },
    })
  }

  async start(): Promise<void> {
    this.#container = await this.#create(TEMPLATE)
    await this.#container.start()
  }

  /** docker checkpoint create, commit, and resume in a new container. */
  async checkpoint(): Promise<void> {
    const old = this.#container!
    const { Id } = await old.inspect()
    const checkpointing = old as unknown as { createCheckpoint(o: object): Promise<unknown> }
    await checkpointing.createCheckpoint({ CheckpointID: 'raw', Exit: true })
    const dir = path.join(this.rootDir, 'containers', Id, 'checkpoints', 'raw')
    await fs.rm(this.saved, { recursive: true, force: true })
    await fs.cp(dir, this.saved, { recursive: true })
    const image = `wm-bench-ck:${process.pid}`
    await old.commit({ repo: 'wm-bench-ck', tag: String(process.pid) })
    await this.#resume(image, old)
  }

  /** A new container from the image and the saved state. */
  async restore(): Promise<void> {
    await this.#resume(`wm-bench-ck:${process.pid}`, this.#container!)
  }

  async #resume(image: string, old: Docker.Container): Promise<void> {
    await old.remove({ force: true })
    const next = await this.#create(image)
    const target = path.join(this.rootDir, 'containers', next.id, 'checkpoints', 'raw')
    await fs.cp(this.saved, target, { recursive: true })
    // As the server does: a nonce file, so the tar the engine uploads to containerd never equals
    // the one containerd made when the checkpoint was taken (its blob may not be collected yet).
    await fs.writeFile(path.join(target, 'nonce'), randomUUID())
    await next.start({ _query: { checkpoint: 'raw' }, _body: {} } as Docker.ContainerStartOptions)
    await fs.rm(target, { recursive: true, force: true })
    this.#container = next
  }

  async remove(): Promise<void> {
    await this.#container?.remove({ force: true }).catch(() => undefined)
    await docker
      .getImage(`wm-bench-ck:${process.pid}`)
      .remove({ force: true })
      .catch(() => undefined)
  }
}

/**
 * Times `runs` checkpoints and restores through our API under gVisor, and
 * the same done by hand with dockerode, and records both rows in `table`.
 */
export async function checkpointRows(options: { runs: number; table: BenchTable }): Promise<void> {
  const { runs, table } = options
  const info = (await docker.info()) as {
    Runtimes?: Record<string, unknown>
    ExperimentalBuild?: boolean
    DockerRootDir: string
  }
  if (!info.Runtimes?.runsc || !info.ExperimentalBuild) {
    throw new Error('the engine has no runsc runtime or is not experimental: run npm start once')
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-ck-'))
  const config = loadConfig({
    ...process.env,
    WM_DATA_DIR: dataDir,
    WORKSPACE_DEFAULT_IMAGE: TEMPLATE,
    WM_RUNTIME: 'runsc',
    WORKSPACE_ENABLE_CHECKPOINTS: 'true',
    // NFS is not measured here; off, so a server already serving on 12049 is no obstacle.
    WM_NFS_ENABLED: 'false',
  })
  const app = await buildApp(config, { logger: pino({ level: 'warn' }) })
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  const raw = new RawSandbox(info.DockerRootDir, path.join(dataDir, 'raw-saved'))
  try {
    const workspace = await call(base, 'POST', '/v1/workspaces', {})
    const sandbox = await call(base, 'POST', '/v1/sandboxes', { workspace_id: workspace.id })
    await call(base, 'POST', `/v1/sandboxes/${sandbox.id}/processes`, {
      cmd: 'sh',
      args: ['-c', `nohup sh -c '${COUNTER}' >/dev/null 2>&1 &`],
    })
    const checkpoints: string[] = []
    const oursCheckpoint = await timeRuns(runs, 1, async () => {
      const created = await call(base, 'POST', `/v1/sandboxes/${sandbox.id}/checkpoints`, {})
      if (created.kind !== 'process') throw new Error(JSON.stringify(created))
      checkpoints.push(created.id)
    })
    const oursRestore = await timeRuns(runs, 1, async () => {
      const id = checkpoints[0]
      await call(base, 'POST', `/v1/sandboxes/${sandbox.id}/checkpoints/${id}/restore`)
    })
    await call(base, 'DELETE', `/v1/sandboxes/${sandbox.id}?force=true`)

    await raw.start()
    const rawCheckpoint = await timeRuns(runs, 1, () => raw.checkpoint())
    const rawRestore = await timeRuns(runs, 1, () => raw.restore())
    table.latency(
      'checkpoint under gVisor (the sandbox runs on from it)',
      oursCheckpoint,
      rawCheckpoint,
      'dockerode, by hand',
    )
    table.latency(
      'restore a checkpoint under gVisor',
      oursRestore,
      rawRestore,
      'dockerode, by hand',
    )
  } finally {
    await raw.remove()
    await app.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  }
}
