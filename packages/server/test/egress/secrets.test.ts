import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { createWorkspace } from '../helpers/app.js'
import { createSandbox, run, sandboxApp } from '../helpers/sandbox.js'
import { ORIGIN_ADDRESS, startOrigins } from './origins.js'

/*
 * Secrets the gateway fills in, on the real engine: the sandbox holds a
 * placeholder, and the origin named by the secret's hosts receives the real
 * value over HTTP, transparent HTTPS and HTTPS through the proxy, while
 * every other host gets the placeholder. The value is nowhere in the
 * sandbox, the server's files, its replies or its log.
 */

const TIMEOUT = { timeout: 300_000 }
const PROBE = path.join(import.meta.dirname, 'secrets-probe.py')
const VALUE = `sk-live-${Math.random().toString(36).slice(2)}-not-for-the-sandbox`

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    const bytes = await fs.readFile(file).catch(() => Buffer.alloc(0))
    if (bytes.includes(needle)) found.push(file)
  }
  return found
}

test(
  'a secret reaches only its hosts, in place of its placeholder, and is held by nothing but the gateway',
  TIMEOUT,
  async (t) => {
    const origins = await startOrigins(['api.test', 'other.test'])
    t.after(() => origins.close())
    const caFile = path.join(path.dirname(origins.hostsFile), 'origin-ca.pem')
    await fs.writeFile(caFile, origins.caPem)
    const logged: string[] = []
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logged.push(chunk.toString())
        done()
      },
    })
    const { app, config } = await sandboxApp(
      t,
      {
        WM_EGRESS_HOSTS_FILE: origins.hostsFile,
        WM_EGRESS_PRIVATE_ALLOW: `${ORIGIN_ADDRESS}/32`,
        WM_EGRESS_CA_FILE: caFile,
      },
      { logger: pino({ level: 'trace' }, sink) },
    )
    const { sandboxId, workspaceId, sandbox } = await createSandbox(t, app, {
      network: { mode: 'allowlist', allow: ['api.test', 'other.test'] },
      secrets: { API_TOKEN: { value: VALUE, hosts: ['api.test'] } },
    })
    assert.deepEqual(sandbox.secrets, { API_TOKEN: { hosts: ['api.test'] } })
    assert.ok(!JSON.stringify(sandbox).includes(VALUE))
    const printed = await run(app, sandboxId, { cmd: 'printenv', args: ['API_TOKEN'] })
    const placeholder = String(printed.json.stdout).trim()
    assert.match(placeholder, /^wm-secret-[0-9a-f]{32}$/)

    const workspace = path.join(config.dataDir, 'workspaces', workspaceId)
    await fs.copyFile(PROBE, path.join(workspace, 'probe.py'))
    const probed = await run(app, sandboxId, { cmd: 'python3', args: ['/workspace/probe.py'] })
    assert.equal(probed.status, 200, JSON.stringify(probed.json))
    const seen = JSON.parse(String(probed.json.stdout)) as Record<string, string>
    assert.equal(seen.https, `https api.test /s?key=${VALUE} auth=Bearer ${VALUE}`)
    assert.equal(seen.proxy, `https api.test /p?key=${VALUE} auth=Bearer ${VALUE}`)
    assert.equal(seen.http, `http api.test /h?key=${VALUE} auth=Bearer ${VALUE}`)
    // A host the secret does not name gets the placeholder, unchanged.
    assert.equal(seen.other, `http other.test /o auth=Bearer ${placeholder}`)

    // Inside the sandbox: not in any process's environment, nor in any file it can read.
    const inside = await run(app, sandboxId, {
      cmd: 'sh',
      args: [
        '-c',
        `cat /proc/*/environ | tr '\\0' '\\n' | grep -c API_TOKEN=${placeholder}; grep -rlF "$0" /proc/*/environ /run/wm /etc /tmp /root /workspace 2>/dev/null; true`,
        VALUE,
      ],
    })
    assert.equal(inside.status, 200, JSON.stringify(inside.json))
    assert.ok(Number(String(inside.json.stdout).split('\n')[0]) >= 1, 'the placeholder is there')
    // The value is only in the grep's arguments, which no environ or file holds.
    const holders = String(inside.json.stdout).split('\n').slice(1).filter(Boolean)
    assert.deepEqual(holders, [])

    // Nor in the server's files (the store seals it), replies or log.
    assert.deepEqual(await filesContaining(config.dataDir, VALUE), [])
    const listed = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
    const got = await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })
    assert.ok(!listed.body.includes(VALUE) && !got.body.includes(VALUE))
    assert.deepEqual(got.json().secrets, { API_TOKEN: { hosts: ['api.test'] } })
    assert.ok(logged.length > 0, 'the server logged')
    assert.ok(!logged.join('').includes(VALUE), 'the log does not carry the value')

    // The sandbox trusts its own CA for the secret's host, and the public roots for the rest.
    const trust = await run(app, sandboxId, {
      cmd: 'sh',
      args: ['-c', 'echo $SSL_CERT_FILE $REQUESTS_CA_BUNDLE $NODE_EXTRA_CA_CERTS'],
    })
    assert.equal(
      trust.json.stdout,
      '/run/wm/ca-bundle.pem /run/wm/ca-bundle.pem /run/wm/egress-ca.pem\n',
    )
  },
)

test('bad secrets are refused with 400 code 1001 and never echoed', TIMEOUT, async (t) => {
  const { app } = await sandboxApp(t)
  const workspaceId = await createWorkspace(app)
  const cases: Array<[string, Record<string, unknown>, Record<string, string> | undefined]> = [
    ['in env too', { TOKEN: { value: VALUE, hosts: ['api.test'] } }, { TOKEN: 'x' }],
    ['reserved', { HTTPS_PROXY: { value: VALUE, hosts: ['api.test'] } }, undefined],
    ['reserved prefix', { WM_TOKEN: { value: VALUE, hosts: ['api.test'] } }, undefined],
    ['control character', { TOKEN: { value: `${VALUE}\r\nx: y`, hosts: ['a.test'] } }, undefined],
    ['an address', { TOKEN: { value: VALUE, hosts: ['203.0.113.9'] } }, undefined],
    ['a port', { TOKEN: { value: VALUE, hosts: ['api.test:443'] } }, undefined],
    ['no host name', { TOKEN: { value: VALUE, hosts: ['bad host'] } }, undefined],
    ['no hosts', { TOKEN: { value: VALUE, hosts: [] } }, undefined],
    ['bad name', { '1TOKEN': { value: VALUE, hosts: ['api.test'] } }, undefined],
    ['empty value', { TOKEN: { value: '', hosts: ['api.test'] } }, undefined],
  ]
  for (const [what, secrets, env] of cases) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspaceId, secrets, ...(env ? { env } : {}) },
    })
    assert.equal(response.statusCode, 400, `${what}: ${response.body}`)
    assert.equal(response.json().error.code, 1001, what)
    assert.ok(!response.body.includes(VALUE), `${what}: the reply names no value`)
  }
  const left = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
  assert.deepEqual(left.json().sandboxes, [], 'nothing was created')
})
