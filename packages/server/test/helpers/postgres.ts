import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

/** A throwaway PostgreSQL cluster listening on 127.0.0.1. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password). */
  url: string
  /** Stops the cluster at once (`pg_ctl stop -m immediate`) and removes its files. */
  stop(): Promise<void>
}

/** Where `name` (initdb, pg_ctl) is: on PATH, else in Debian's `/usr/lib/postgresql/<n>/bin`. */
async function findBinary(name: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name)
    if (await isExecutable(candidate)) return candidate
  }
  const versions = await fs.readdir('/usr/lib/postgresql').catch(() => [] as string[])
  // The newest version first: numeric order, so 15 comes before 9.6.
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
  for (const version of versions) {
    const candidate = path.join('/usr/lib/postgresql', version, 'bin', name)
    if (await isExecutable(candidate)) return candidate
  }
  throw new Error(`${name} not found (install PostgreSQL: apt-get install -y postgresql)`)
}

async function isExecutable(file: string): Promise<boolean> {
  return fs.access(file, fs.constants.X_OK).then(
    () => true,
    () => false,
  )
}

/** A TCP port free at the time of asking (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

/**
 * PostgreSQL refuses to run as root: as root, commands run as the
 * `postgres` OS user (Debian's package creates it).
 */
function asServerUser(file: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [file, args]
  return ['runuser', ['-u', 'postgres', '--', file, ...args]]
}

async function runAsServerUser(file: string, args: string[]): Promise<void> {
  const [command, argv] = asServerUser(file, args)
  try {
    await run(command, argv, { timeout: 60_000, cwd: os.tmpdir() })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${path.basename(file)} failed: ${stderr || stdout || String(error)}`, {
      cause: error,
    })
  }
}

/**
 * Starts a fresh PostgreSQL cluster in a new temporary directory: trust auth
 * on loopback only, socket in the same directory, `fsync=off` (its data is
 * thrown away). Each test should use its own database (`newDatabase`).
 */
export async function startPostgres(): Promise<PostgresCluster> {
  const [initdb, pgCtl] = await Promise.all([findBinary('initdb'), findBinary('pg_ctl')])
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-pg-'))
  const dataDir = path.join(root, 'data')
  const logFile = path.join(root, 'server.log')
  let started = false
  const stop = async () => {
    if (started) {
      started = false
      await runAsServerUser(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(
        () => undefined,
      )
    }
    await fs.rm(root, { recursive: true, force: true })
  }
  try {
    // The temp dir is the socket dir too: the server user must own it (mkdtemp makes it 0700).
    if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', root])
    await runAsServerUser(initdb, [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ])
    const port = await freePort()
    const options = `-k ${root} -h 127.0.0.1 -p ${port} -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300`
    await runAsServerUser(pgCtl, ['start', '-D', dataDir, '-l', logFile, '-w', '-o', options])
    started = true
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop }
  } catch (error) {
    const log = await fs.readFile(logFile, 'utf8').catch(() => '')
    await stop()
    if (log) (error as Error).message += `\nserver log:\n${log}`
    throw error
  }
}

/**
 * Creates an empty database with a random name on the cluster of `url` and
 * returns its URL (same server and user).
 */
export async function newDatabase(url: string): Promise<string> {
  const name = `wm_test_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const target = new URL(url)
  target.pathname = `/${name}`
  return target.toString()
}
