/**
 * Through HAProxy running the committed deploy/haproxy.cfg: calls alternate
 * between the replicas, the Python SDK examples pass, a PTY WebSocket and a
 * process's SSE stream stay open and flow, and a large upload streams.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import WebSocket from 'ws'
import { TEST_TEMPLATE, call, expectStatus, readSse, until } from './client.js'
import { useCluster } from './cluster.js'
import { cleanEnv, repoPath } from './processes.js'

const cluster = useCluster()

async function newSandbox(base: string): Promise<{ workspaceId: string; sandboxId: string }> {
  const workspace = await expectStatus(201, base, 'POST', '/v1/workspaces', { name: 'lb' })
  const sandbox = await expectStatus(201, base, 'POST', '/v1/sandboxes', {
    workspace_id: workspace.id,
    template: TEST_TEMPLATE,
  })
  return { workspaceId: workspace.id, sandboxId: sandbox.id }
}

async function removeSandbox(base: string, ids: { workspaceId: string; sandboxId: string }) {
  await expectStatus(204, base, 'DELETE', `/v1/sandboxes/${ids.sandboxId}?force=true`)
  await expectStatus(204, base, 'DELETE', `/v1/workspaces/${ids.workspaceId}`)
}

async function answeredBy(base: string, calls: number): Promise<string[]> {
  const answered = new Set<string>()
  for (let i = 0; i < calls; i++) {
    answered.add((await expectStatus(200, base, 'GET', '/health')).replica.id as string)
  }
  return [...answered].sort()
}

test('docs/deployment.md shows deploy/haproxy.cfg as committed', () => {
  const config = fs.readFileSync(repoPath('deploy/haproxy.cfg'), 'utf8')
  const page = fs.readFileSync(repoPath('docs/deployment.md'), 'utf8')
  assert.ok(page.includes(`\`\`\`haproxy\n${config}\`\`\``), 'the page quotes an outdated copy')
})

test(
  'consecutive calls through the load balancer are answered by both replicas',
  cluster.logged(async () => {
    assert.deepEqual(await answeredBy(cluster.current.lbUrl, 4), ['a', 'b'])
  }),
)

test(
  'a replica drained on the admin socket (the first step of a rolling upgrade) gets no new calls',
  cluster.logged(async () => {
    const { lbUrl, lbCommand } = cluster.current
    assert.equal((await lbCommand('set server replicas/a state drain')).trim(), '')
    try {
      assert.deepEqual(await answeredBy(lbUrl, 4), ['b'])
    } finally {
      await lbCommand('set server replicas/a state ready')
    }
    assert.deepEqual(await answeredBy(lbUrl, 4), ['a', 'b'])
  }),
)

test(
  'the Python SDK examples pass through the load balancer',
  { timeout: 900_000 },
  cluster.logged(async (t) => {
    const examples = fs.readdirSync(repoPath('python/examples')).filter((f) => f.endsWith('.py'))
    const child = spawn('bash', [repoPath('scripts/run-examples.sh')], {
      env: cleanEnv({ WORKSPACE_API_URL: cluster.current.lbUrl }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const counts = /^examples: (\d+) passed, (\d+) failed$/m.exec(output)
    assert.ok(counts, `no count line in:\n${output}`)
    t.diagnostic(counts[0])
    assert.deepEqual(
      { passed: Number(counts[1]), failed: Number(counts[2]), code },
      { passed: examples.length, failed: 0, code: 0 },
      output,
    )
    // Round robin spread them: each replica served sandbox calls.
    for (const replica of [cluster.current.a, cluster.current.b]) {
      assert.match(replica.process.tail(100_000), /"url":"\/v1\/sandboxes/)
    }
  }),
)

test(
  'a PTY WebSocket through the load balancer: typed input is echoed and run',
  cluster.logged(async () => {
    const { lbUrl } = cluster.current
    const ids = await newSandbox(lbUrl)
    const ws = new WebSocket(`${lbUrl.replace('http', 'ws')}/v1/sandboxes/${ids.sandboxId}/pty`)
    let output = ''
    const controls: Array<Record<string, unknown>> = []
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) output += data.toString('utf8')
      else controls.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>)
    })
    const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)))
    await until('the ready message', 20_000, async () =>
      controls.some((c) => c.type === 'ready') ? true : undefined,
    )
    ws.send(Buffer.from('echo through-lb-$((6 * 7))\r'), { binary: true })
    await until(
      'the command output',
      20_000,
      async () => (output.includes('through-lb-42') ? true : undefined),
      () => JSON.stringify(output),
    )
    ws.send(Buffer.from('exit\r'), { binary: true })
    await until('the exit message', 20_000, async () => controls.find((c) => c.type === 'exit'))
    ws.close()
    await closed
    await removeSandbox(lbUrl, ids)
  }),
)

test(
  'an SSE process stream through the load balancer flows while the process runs',
  cluster.logged(async () => {
    const { lbUrl } = cluster.current
    const ids = await newSandbox(lbUrl)
    // The process waits for a file only a later call creates: its first line
    // can only be read if the balancer passes events on as they come.
    const script = 'echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second'
    const events: Array<{ event: string; data: any }> = []
    for await (const event of readSse(`${lbUrl}/v1/sandboxes/${ids.sandboxId}/processes`, {
      method: 'POST',
      body: { cmd: 'sh', args: ['-c', script] },
    })) {
      events.push(event)
      if (event.event === 'stdout' && event.data.data === 'first\n') {
        const touched = await expectStatus(
          200,
          lbUrl,
          'POST',
          `/v1/sandboxes/${ids.sandboxId}/processes`,
          {
            cmd: 'touch',
            args: ['/tmp/go'],
          },
        )
        assert.equal(touched.exit_code, 0)
      }
    }
    assert.deepEqual(
      events.map((e) => e.event),
      ['start', 'stdout', 'stdout', 'exit'],
    )
    assert.deepEqual(
      events.filter((e) => e.event === 'stdout').map((e) => e.data.data),
      ['first\n', 'second\n'],
    )
    assert.equal(events.at(-1)!.data.code, 0)
    await removeSandbox(lbUrl, ids)
  }),
)

test(
  'a 64 MiB upload streams through the load balancer and reads back whole',
  cluster.logged(async () => {
    const { lbUrl } = cluster.current
    const workspace = await expectStatus(201, lbUrl, 'POST', '/v1/workspaces', { name: 'upload' })
    const chunk = Buffer.alloc(1024 * 1024)
    const sent = createHash('sha256')
    let count = 0
    const body = new Readable({
      read() {
        if (count === 64) return this.push(null)
        chunk.fill(count++)
        sent.update(chunk)
        this.push(Buffer.from(chunk))
      },
    })
    const url = new URL(`/v1/workspaces/${workspace.id}/files/content?path=big.bin`, lbUrl)
    // Chunked, with no length: the balancer must pass it on as it comes.
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(url, { method: 'PUT' }, (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
      })
      request.on('error', reject)
      body.pipe(request)
    })
    assert.equal(status, 201)
    const download = await fetch(url)
    assert.equal(download.status, 200)
    const received = createHash('sha256')
    let size = 0
    for await (const part of download.body!) {
      received.update(part as Uint8Array)
      size += (part as Uint8Array).length
    }
    assert.equal(size, 64 * 1024 * 1024)
    assert.equal(received.digest('hex'), sent.digest('hex'))
    const gone = await call(lbUrl, 'DELETE', `/v1/workspaces/${workspace.id}`)
    assert.equal(gone.status, 204, gone.text)
  }),
)
