import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, type TestContext } from 'node:test'
import Docker from 'dockerode'
import { newDatabase } from '../helpers/postgres.js'
import { TEST_TEMPLATE, freePort, until } from './client.js'
import { LoggedProcess, cleanEnv, onAbnormalExit, repoPath, waitUntilReady } from './processes.js'

const docker = new Docker()

/** One server process of the cluster. */
export interface Replica {
  /** `WM_REPLICA_ID`: `a` or `b`. */
  id: string
  url: string
  port: number
  process: LoggedProcess
}

/**
 * A PostgreSQL cluster, two servers sharing it and one data dir, and HAProxy
 * (running the committed deploy/haproxy.cfg) in front of both.
 */
export interface ReplicaCluster {
  dataDir: string
  databaseUrl: string
  /** The data dir's instance id: every container of this cluster carries `wm.instance=<it>`. */
  instanceId: string
  a: Replica
  b: Replica
  /** The load balancer's URL. */
  lbUrl: string
  /** Sends one command to HAProxy's runtime API (its admin socket) and returns the answer. */
  lbCommand(command: string): Promise<string>
  /** HAProxy's view of a replica: `UP`, `DOWN`, `DRAIN`, `MAINT`, possibly with a transition (`UP 1/2`). */
  lbServerStatus(id: string): Promise<string>
  /** The replica called `id`. */
  replica(id: string): Replica
  /** The other replica. */
  other(replica: Replica): Replica
  /** Starts a replica that has exited again, on its port with its settings, and waits for `/ready`. */
  restart(replica: Replica): Promise<void>
  /** `wm.sandbox` label of every container of this cluster (running or not). */
  containerSandboxIds(): Promise<string[]>
  /** Stops PostgreSQL (the servers are left running). */
  stopDatabase(): Promise<void>
  /** Prints the tail of every log to stderr. */
  printLogs(): void
  /** Stops everything and removes every container, file and directory it made. */
  stop(): Promise<void>
}

/** Extra server settings every replica gets (the suite's own, over the defaults). */
const SERVER_ENV = {
  WM_HOST: '127.0.0.1',
  WM_NFS_ENABLED: 'false',
  WM_LEADER_CHECK_INTERVAL_SECONDS: '1',
  WM_LOG_LEVEL: 'info',
  WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
  WORKSPACE_STOP_TIMEOUT_SECONDS: '1',
  WORKSPACE_DEFAULT_MEM: '512m',
  // No .env.server from the working directory.
  WM_SERVER_ENV_FILE: '/dev/null',
}

/** Starts the PostgreSQL CLI helper and reads the URL it prints. */
async function startDatabaseProcess(logDir: string): Promise<{ url: string; pg: LoggedProcess }> {
  const urlFile = path.join(logDir, 'postgres.url')
  // The CLI prints its URL on stdout; a shell keeps that in a file and the rest in the log.
  const pg = new LoggedProcess(
    'postgres',
    path.join(logDir, 'postgres.log'),
    'sh',
    [
      '-c',
      `exec "$0" --import tsx "$1" > "$2"`,
      process.execPath,
      repoPath('packages/server/test/helpers/postgres-cli.ts'),
      urlFile,
    ],
    cleanEnv({}),
    'SIGTERM',
  )
  const url = await until('the PostgreSQL cluster', 60_000, async () => {
    if (!pg.running) throw new Error(`the PostgreSQL helper exited:\n${pg.tail()}`)
    const text = await fs.readFile(urlFile, 'utf8').catch(() => '')
    return text.endsWith('\n') ? text.trim() : undefined
  })
  return { url, pg }
}

async function startReplica(
  id: string,
  env: Record<string, string>,
  logDir: string,
  port?: number,
): Promise<Replica> {
  port ??= await freePort()
  const url = `http://127.0.0.1:${port}`
  const serverProcess = new LoggedProcess(
    `replica ${id}`,
    path.join(logDir, `replica-${id}.log`),
    process.execPath,
    ['--import', 'tsx', repoPath('packages/server/src/main.ts')],
    cleanEnv({ ...SERVER_ENV, ...env, WM_PORT: String(port), WM_REPLICA_ID: id }),
  )
  try {
    await waitUntilReady(serverProcess, `${url}/ready`)
  } catch (error) {
    await serverProcess.stop()
    throw error
  }
  return { id, url, port, process: serverProcess }
}

async function startLoadBalancer(
  backends: Replica[],
  logDir: string,
): Promise<{ url: string; adminSocket: string; haproxy: LoggedProcess }> {
  const port = await freePort()
  const haproxy = new LoggedProcess(
    'haproxy',
    path.join(logDir, 'haproxy.log'),
    'haproxy',
    ['-f', repoPath('deploy/haproxy.cfg'), '-db'],
    cleanEnv({
      WM_LB_BIND: `127.0.0.1:${port}`,
      WM_REPLICA_A: `127.0.0.1:${backends[0]!.port}`,
      WM_REPLICA_B: `127.0.0.1:${backends[1]!.port}`,
      WM_LB_ADMIN_SOCKET: path.join(logDir, 'haproxy.sock'),
    }),
  )
  const url = `http://127.0.0.1:${port}`
  await waitUntilReady(haproxy, `${url}/ready`, 20_000).catch((error: Error) => {
    throw new Error(`${error.message}\n(is HAProxy installed? bash scripts/ensure-haproxy.sh)`)
  })
  return { url, adminSocket: path.join(logDir, 'haproxy.sock'), haproxy }
}

/** One command on HAProxy's admin socket: it answers and closes the connection. */
function adminCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = ''
    const connection = net.createConnection(socket, () => connection.end(`${command}\n`))
    connection.setEncoding('utf8')
    connection.on('data', (chunk: string) => (answer += chunk))
    connection.on('end', () => resolve(answer))
    connection.on('error', reject)
  })
}

async function containersOf(instanceId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`wm.instance=${instanceId}`] } })
}

/** How a cluster's servers differ from the suite's defaults. */
export interface ClusterOptions {
  /** Extra server settings for both replicas (over the suite's own), e.g. another runtime. */
  env?: Record<string, string>
}

/**
 * Starts the whole cluster. Replica `a` starts first (it claims the shared
 * settings and writes the data dir's instance-id), then `b`, then HAProxy.
 * On failure whatever was started is stopped again.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<ReplicaCluster> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-replicas-'))
  const dataDir = path.join(root, 'data')
  const logDir = path.join(root, 'logs')
  await fs.mkdir(logDir)
  const processes: LoggedProcess[] = []
  let instanceId = ''
  let stopped = false

  const printLogs = () => {
    for (const child of processes) {
      process.stderr.write(`\n---- ${child.name} log (${child.logFile}, last lines) ----\n`)
      process.stderr.write(`${child.tail()}\n`)
    }
  }
  // Interrupted: remove the containers and files here too (the servers are killed already).
  const forget = onAbnormalExit(() => {
    if (instanceId) {
      spawnSync(
        'sh',
        [
          '-c',
          'docker ps -aq --filter "label=wm.instance=$0" | xargs -r docker rm -fv',
          instanceId,
        ],
        { stdio: 'ignore', timeout: 60_000 },
      )
    }
    rmSync(root, { recursive: true, force: true })
  })
  const stop = async () => {
    if (stopped) return
    stopped = true
    forget()
    // Load balancer and servers first, so nothing creates containers while they are removed.
    for (const child of [...processes].reverse()) {
      if (child.name !== 'postgres') await child.stop()
    }
    if (instanceId) {
      for (const container of await containersOf(instanceId)) {
        await docker
          .getContainer(container.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined)
      }
    }
    for (const child of processes) await child.stop()
    await fs.rm(root, { recursive: true, force: true })
  }

  try {
    const { url: clusterUrl, pg } = await startDatabaseProcess(logDir)
    processes.push(pg)
    const databaseUrl = await newDatabase(clusterUrl)
    const env = { ...options.env, WM_DATA_DIR: dataDir, WM_DATABASE_URL: databaseUrl }
    const a = await startReplica('a', env, logDir)
    processes.push(a.process)
    instanceId = (await fs.readFile(path.join(dataDir, 'instance-id'), 'utf8')).trim()
    const b = await startReplica('b', env, logDir)
    processes.push(b.process)
    const { url: lbUrl, adminSocket, haproxy } = await startLoadBalancer([a, b], logDir)
    processes.push(haproxy)
    const replicas = [a, b]
    return {
      dataDir,
      databaseUrl,
      instanceId,
      a,
      b,
      lbUrl,
      lbCommand: (command) => adminCommand(adminSocket, command),
      lbServerStatus: async (id) => {
        // `show stat` is CSV with a header line: `# pxname,svname,...,status,...`.
        const [header, ...rows] = (await adminCommand(adminSocket, 'show stat')).trim().split('\n')
        const columns = header!.replace(/^# /, '').split(',')
        const row = rows
          .map((line) => line.split(','))
          .find((r) => r[0] === 'replicas' && r[1] === id)
        return row?.[columns.indexOf('status')] ?? 'missing'
      },
      replica: (id) => {
        const found = replicas.find((replica) => replica.id === id)
        if (!found) throw new Error(`no replica ${id}`)
        return found
      },
      other: (replica) => (replica === a ? b : a),
      restart: async (replica) => {
        if (replica.process.running) throw new Error(`replica ${replica.id} is still running`)
        const again = await startReplica(replica.id, env, logDir, replica.port)
        processes.push(again.process)
        replica.process = again.process
      },
      containerSandboxIds: async () =>
        (await containersOf(instanceId)).map((c) => c.Labels['wm.sandbox'] ?? '(none)'),
      stopDatabase: () => pg.stop(),
      printLogs,
      stop,
    }
  } catch (error) {
    printLogs()
    await stop()
    throw error
  }
}

/**
 * The cluster of one test file: started before its first test, stopped after
 * its last. `logged(fn)` wraps a test body so that a failure prints every log.
 */
export function useCluster(options: ClusterOptions = {}): {
  readonly current: ReplicaCluster
  logged: (fn: (t: TestContext) => Promise<void>) => (t: TestContext) => Promise<void>
} {
  let cluster: ReplicaCluster | undefined
  before(async () => {
    cluster = await startCluster(options)
  })
  after(async () => {
    await cluster?.stop()
  })
  return {
    get current() {
      if (!cluster) throw new Error('the replica cluster did not start')
      return cluster
    },
    logged: (fn) => async (t) => {
      try {
        await fn(t)
      } catch (error) {
        cluster?.printLogs()
        throw error
      }
    },
  }
}
