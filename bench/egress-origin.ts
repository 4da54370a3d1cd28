/**
 * The origin of the egress rows: HTTP on 80 and HTTPS on 443 in a network
 * namespace of its own, with a veth pair to the host, on an address of
 * 198.18.0.0/15 (RFC 2544, set aside for benchmarks, so it clashes with no
 * real network and is in none of the ranges the gateway refuses).
 *
 * Why a namespace: the gateway rows need an origin that both a `bridge`
 * sandbox (the engine's default bridge, routed and masqueraded by the host)
 * and the gateway (a host process) reach, and whose traffic stays on this
 * machine. A loopback origin is out of the bridge sandbox's reach (its
 * 127/8 is its own), and an origin on the host's docker0 address is a host
 * service, not a destination. A namespace of ours is neither, and it takes
 * the same host route from both sides: docker0 -> host -> veth for the
 * bridge sandbox, gateway socket -> veth for the gateway.
 *
 * Run as a script (`serve <address> <dir>`), this file is the origin server
 * itself, started inside the namespace by `ip netns exec`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The name the sandboxes ask for; the hosts file of the gateway maps it to the origin. */
export const ORIGIN_NAME = 'origin.bench.test'

/** A running origin and how to take it down. */
export interface NamespacedOrigin {
  /** The origin's address inside its namespace. */
  address: string
  /** A hosts file naming ORIGIN_NAME at `address` (for WM_EGRESS_HOSTS_FILE). */
  hostsFile: string
  /** PEM of the origin's self-signed certificate (the client's only trusted CA). */
  certPem: string
  /** Stops the server and deletes the namespace (its veth pair goes with it) and the files. */
  close(): Promise<void>
}

/** A self-signed certificate for ORIGIN_NAME, made with openssl in `dir`. */
async function certificate(dir: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${ORIGIN_NAME}`,
    '-addext',
    `subjectAltName=DNS:${ORIGIN_NAME}`,
    '-keyout',
    path.join(dir, 'key.pem'),
    '-out',
    path.join(dir, 'cert.pem'),
  ])
}

/**
 * Makes the namespace and veth pair, starts the origin in it and waits until
 * it listens. Whatever was made is removed again if a step fails.
 */
export async function startNamespacedOrigin(): Promise<NamespacedOrigin> {
  // A /30 of 198.18.0.0/16 picked at random, and names from the pid: two
  // benchmark runs on one host do not meet.
  const net = `198.18.${randomInt(1, 255)}.${randomInt(0, 63) * 4}`
  const [a, b, c, d] = net.split('.').map(Number) as [number, number, number, number]
  const hostSide = `${a}.${b}.${c}.${d + 1}`
  const address = `${a}.${b}.${c}.${d + 2}`
  const ns = `wm-bench-eg-${process.pid}`
  const hostIf = `wmbeh${process.pid}`
  const originIf = `wmbeo${process.pid}`
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-origin-'))
  let server: ChildProcess | undefined
  let made = false
  const close = async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM')
      await once(server, 'exit')
    }
    if (made) await run('ip', ['netns', 'del', ns]).catch(() => undefined)
    await run('ip', ['link', 'del', hostIf]).catch(() => undefined)
    await fs.rm(dir, { recursive: true, force: true })
  }
  try {
    await certificate(dir)
    await run('ip', ['netns', 'add', ns])
    made = true
    const ip = (...args: string[]) => run('ip', args)
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', originIf)
    await ip('link', 'set', originIf, 'netns', ns)
    await ip('addr', 'add', `${hostSide}/30`, 'dev', hostIf)
    await ip('link', 'set', hostIf, 'up')
    await ip('-n', ns, 'addr', 'add', `${address}/30`, 'dev', originIf)
    await ip('-n', ns, 'link', 'set', originIf, 'up')
    await ip('-n', ns, 'link', 'set', 'lo', 'up')
    // Replies to the bridge sandbox come from the host side (masqueraded), so one route back.
    await ip('-n', ns, 'route', 'add', 'default', 'via', hostSide)
    const self = fileURLToPath(import.meta.url)
    server = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', self, 'serve', address, dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    await new Promise<void>((resolve, reject) => {
      let out = ''
      server!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('listening\n')) resolve()
      })
      server!.once('exit', (code) => reject(new Error(`the origin exited (${code}): ${out}`)))
    })
    const hostsFile = path.join(dir, 'hosts')
    await fs.writeFile(hostsFile, `# the egress benchmark's origin\n${address} ${ORIGIN_NAME}\n`)
    const certPem = await fs.readFile(path.join(dir, 'cert.pem'), 'utf8')
    return { address, hostsFile, certPem, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * The origin: `/small` answers `ok\n`; `/bytes/<n>` answers n bytes (a random
 * MiB over and over), written as fast as the client reads them.
 */
function serve(request: http.IncomingMessage, response: http.ServerResponse, chunk: Buffer): void {
  const match = /^\/bytes\/(\d+)$/.exec(request.url ?? '')
  if (!match) {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 })
    response.end('ok\n')
    return
  }
  const total = Number(match[1])
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total })
  let left = total
  const write = () => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= part.length
      if (!response.write(part)) return void response.once('drain', write)
    }
    response.end()
  }
  write()
}

async function main(address: string, dir: string): Promise<void> {
  const chunk = randomBytes(2 ** 20)
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) =>
    serve(request, response, chunk)
  const plain = http.createServer(handler)
  const secure = https.createServer(
    {
      key: await fs.readFile(path.join(dir, 'key.pem')),
      cert: await fs.readFile(path.join(dir, 'cert.pem')),
    },
    handler,
  )
  plain.listen(80, address)
  secure.listen(443, address)
  await Promise.all([once(plain, 'listening'), once(secure, 'listening')])
  process.stdout.write('listening\n')
  process.once('SIGTERM', () => process.exit(0))
}

if (process.argv[2] === 'serve' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(process.argv[3]!, process.argv[4]!)
}
