import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { createSandbox, docker, run, sandboxApp } from '../helpers/sandbox.js'
import { instanceId } from '../../src/runtime/index.js'
import { ORIGIN_ADDRESS, startOrigins } from './origins.js'

/*
 * The egress gateway on the real engine: sandboxes in allowlist and open
 * mode reach what their policy allows (origins on a loopback address named
 * by WM_EGRESS_HOSTS_FILE) and nothing else, whatever they try from inside.
 */

const TIMEOUT = { timeout: 300_000 }
const PROBE = path.join(import.meta.dirname, 'probe.py')

/** Polls `check` until it holds (a condition, not a timer), for at most `timeoutMs`. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(50)
  }
}

async function probe(app: FastifyInstance, id: string, ...args: string[]): Promise<string> {
  const result = await run(app, id, { cmd: 'python3', args: ['/workspace/probe.py', ...args] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  return String(result.json.stdout).trim() + String(result.json.stderr).trim()
}

async function network(app: FastifyInstance, id: string, body?: unknown) {
  const response = await app.inject({
    method: body ? 'PATCH' : 'GET',
    url: `/v1/sandboxes/${id}/network`,
    ...(body ? { payload: body } : {}),
  })
  return { status: response.statusCode, json: response.json() }
}

/** A listener on every address of the host, standing in for the API server and sshd. */
async function hostService(t: TestContext): Promise<number> {
  const server = net.createServer((socket) => socket.end('host service\n'))
  server.listen(0, '0.0.0.0')
  await once(server, 'listening')
  t.after(() => server.close())
  return (server.address() as net.AddressInfo).port
}

test(
  'allowlist: allowed names over HTTP, HTTPS and the proxy; nothing else, however asked; changes apply to the next request',
  TIMEOUT,
  async (t) => {
    const origins = await startOrigins(['allowed.test', 'denied.test', 'portal.test'])
    t.after(() => origins.close())
    const { app, config } = await sandboxApp(t, {
      WM_EGRESS_HOSTS_FILE: origins.hostsFile,
      WM_EGRESS_PRIVATE_ALLOW: `${ORIGIN_ADDRESS}/32`,
    })
    const hostPort = await hostService(t)
    const { sandboxId, workspaceId, sandbox } = await createSandbox(t, app, {
      network: { mode: 'allowlist', allow: ['allowed.test', `portal.test:${origins.extraPort}`] },
    })
    assert.deepEqual(sandbox.network, {
      mode: 'allowlist',
      allow: ['allowed.test', `portal.test:${origins.extraPort}`],
      denied: { count: 0, recent: [] },
    })
    const workspace = path.join(config.dataDir, 'workspaces', workspaceId)
    await fs.copyFile(PROBE, path.join(workspace, 'probe.py'))
    await fs.writeFile(path.join(workspace, 'ca.pem'), origins.caPem)
    const info = await docker.getNetwork(`wm-egress-${instanceId(config.dataDir)}`).inspect()
    const gateway = info.IPAM?.Config?.[0]?.Gateway ?? ''
    assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/)

    assert.equal(
      await probe(app, sandboxId, 'http', 'http://allowed.test/a'),
      'ok http allowed.test /a',
    )
    assert.equal(
      await probe(app, sandboxId, 'https', 'https://allowed.test/b', '/workspace/ca.pem'),
      'ok https allowed.test /b',
    )
    const viaProxy = `http://portal.test:${origins.extraPort}/c`
    assert.equal(
      await probe(app, sandboxId, 'proxy', viaProxy),
      `ok extra portal.test:${origins.extraPort} /c`,
    )

    assert.equal(await probe(app, sandboxId, 'sni', gateway, 'allowed.test'), 'handshake')
    // Dialling the gateway by address with a name the policy refuses: TLS never starts.
    assert.match(await probe(app, sandboxId, 'sni', gateway, 'denied.test'), /^error /)
    const ipv6 = await run(app, sandboxId, {
      cmd: 'cat',
      args: ['/proc/sys/net/ipv6/conf/all/disable_ipv6'],
    })
    assert.equal(ipv6.json.stdout, '1\n')
    assert.equal(await probe(app, sandboxId, 'resolve', 'denied.test'), 'error gaierror')
    assert.equal(await probe(app, sandboxId, 'http', 'http://denied.test/'), 'error URLError')
    assert.equal(await probe(app, sandboxId, 'proxy', 'http://denied.test/'), 'status 403')
    assert.equal(
      await probe(app, sandboxId, 'proxy', `http://portal.test/`),
      'status 403',
      'other port',
    )
    // Straight to the gateway on a port it does not serve, to the host's services, and out.
    assert.match(await probe(app, sandboxId, 'connect', gateway, String(hostPort)), /^error /)
    assert.match(await probe(app, sandboxId, 'connect', gateway, '22'), /^error /)
    assert.equal(await probe(app, sandboxId, 'dns', '8.8.8.8'), 'error TimeoutError')
    // Root may point its resolver elsewhere: it then resolves nothing at all.
    await run(app, sandboxId, {
      cmd: 'sh',
      args: ['-c', 'echo nameserver 8.8.8.8 > /etc/resolv.conf'],
    })
    assert.equal(await probe(app, sandboxId, 'resolve', 'allowed.test'), 'error gaierror')
    await run(app, sandboxId, {
      cmd: 'sh',
      args: ['-c', `echo nameserver 127.0.0.11 > /etc/resolv.conf`],
    })

    const status = await network(app, sandboxId)
    assert.equal(status.status, 200)
    assert.ok(status.json.denied.count >= 3, JSON.stringify(status.json))
    const hosts = status.json.denied.recent.map((entry: { host: string }) => entry.host)
    assert.ok(hosts.includes('denied.test'), JSON.stringify(hosts))
    assert.ok(hosts.includes('portal.test'), JSON.stringify(hosts))

    // A keep-alive connection: the second request obeys the policy changed after the first.
    const phase = path.join(workspace, 'phase')
    await run(app, sandboxId, {
      cmd: 'sh',
      args: [
        '-c',
        'python3 /workspace/probe.py keepalive allowed.test /workspace/phase /workspace/go > /workspace/out 2>&1 &',
      ],
    })
    await waitUntil(
      () =>
        fs.access(phase).then(
          () => true,
          () => false,
        ),
      30_000,
      'the first request',
    )
    const patched = await network(app, sandboxId, { mode: 'allowlist', allow: ['portal.test'] })
    assert.deepEqual([patched.status, patched.json.allow], [200, ['portal.test']])
    await fs.writeFile(path.join(workspace, 'go'), '')
    const out = path.join(workspace, 'out')
    await waitUntil(
      async () => (await fs.readFile(out, 'utf8').catch(() => '')).includes(']'),
      30_000,
      'the second request',
    )
    const [firstStatus, firstBody, secondStatus] = JSON.parse(await fs.readFile(out, 'utf8'))
    assert.deepEqual([firstStatus, firstBody, secondStatus], [200, 'http allowed.test /first', 403])

    // Open: the internet, but not the host, its loopback or metadata addresses.
    const opened = await network(app, sandboxId, { mode: 'open' })
    assert.deepEqual([opened.status, opened.json.mode, opened.json.allow], [200, 'open', []])
    assert.equal(
      await probe(app, sandboxId, 'http', 'http://denied.test/d'),
      'ok http denied.test /d',
    )
    assert.equal(
      await probe(app, sandboxId, 'proxy', `http://127.0.0.1:${hostPort}/`),
      'status 403',
    )
    assert.equal(
      await probe(app, sandboxId, 'proxy', `http://${gateway}:${hostPort}/`),
      'status 403',
    )
    assert.equal(
      await probe(app, sandboxId, 'proxy', 'http://169.254.169.254/latest/'),
      'status 403',
    )
    assert.match(await probe(app, sandboxId, 'connect', gateway, String(hostPort)), /^error /)

    // Back to none: nothing at all.
    assert.equal((await network(app, sandboxId, { mode: 'none' })).status, 200)
    assert.equal(await probe(app, sandboxId, 'http', 'http://allowed.test/'), 'error URLError')

    const stopped = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sandboxId}/stop` })
    assert.equal(stopped.statusCode, 200)
    const refused = await network(app, sandboxId, { mode: 'open' })
    assert.deepEqual([refused.status, refused.json.error.code], [409, 2002])
  },
)
