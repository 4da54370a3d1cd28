import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { test } from 'node:test'
import { loadConfig } from '../src/config/index.js'
import { AgentClient } from '../src/agent/client.js'
import { connectVerified } from '../src/agent/handshake.js'
import { waitForAgentHello } from '../src/services/agent-ready.js'
import type { AgentEndpoint } from '../src/runtime/types.js'
import { ApiError } from '../src/errors.js'

// The real agent, as the bootstrap builds it, listening on TCP only (as in a
// Kubernetes pod): the server reaches it with a { host, port } endpoint.
const AGENT_BINARY = loadConfig({ WM_DATA_DIR: os.tmpdir() }).agent.binaryPath
const TOKEN = 'tcp-endpoint-test-token-0123456789abcdef'

/** A TCP port nothing listens on right now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

interface RunningAgent {
  endpoint: AgentEndpoint
  child: ChildProcess
  /** Why the agent is not running, or null while it runs (the container liveness check). */
  whyGone(): Promise<string | null>
}

/** Starts the agent on `port` (a free one by default); it may not listen yet when this returns. */
async function spawnAgent(
  t: { after(fn: () => unknown): void },
  port?: number,
): Promise<RunningAgent> {
  port ??= await freePort()
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-agent-tcp-'))
  const child = spawn(
    AGENT_BINARY,
    ['--socket', '', '--listen', `tcp://127.0.0.1:${port}`, '--workdir', workdir],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WM_AGENT_TOKEN: TOKEN }, stdio: 'ignore' },
  )
  let exit: string | null = null
  child.on('exit', (code, signal) => (exit = `the agent exited (${code ?? signal})`))
  t.after(async () => {
    if (exit === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
    fs.rmSync(workdir, { recursive: true, force: true })
  })
  return { endpoint: { host: '127.0.0.1', port }, child, whyGone: async () => exit }
}

/** Starts the agent and waits until it proves itself over TCP. */
async function startAgent(t: { after(fn: () => unknown): void }): Promise<RunningAgent> {
  const agent = await spawnAgent(t)
  await waitForAgentHello(agent.endpoint, TOKEN, 30_000, agent.whyGone)
  return agent
}

/** A listener on a free port that answers every request like `answer` (an impostor). */
async function impostor(
  t: { after(fn: () => unknown): void },
  answer: (request: http.IncomingMessage, response: http.ServerResponse) => void,
): Promise<AgentEndpoint & { requests: string[] }> {
  const requests: string[] = []
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    answer(request, response)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, requests }
}

function client(endpoint: AgentEndpoint, token = TOKEN): AgentClient {
  return new AgentClient('sbx_tcp', endpoint, token)
}

test('readiness over TCP: polling started before the agent listens succeeds once it does', async (t) => {
  assert.ok(fs.existsSync(AGENT_BINARY), `${AGENT_BINARY} is missing: run scripts/bootstrap.sh`)
  const port = await freePort()
  const endpoint = { host: '127.0.0.1', port }
  // Nothing listens yet: the first attempts are refused.
  await assert.rejects(connectVerified(endpoint, TOKEN, 5_000), { code: 'ECONNREFUSED' })
  const spawned: { agent?: RunningAgent } = {}
  const ready = waitForAgentHello(endpoint, TOKEN, 30_000, async () =>
    spawned.agent ? spawned.agent.whyGone() : null,
  )
  spawned.agent = await spawnAgent(t, port)
  await ready
  const agent = client(endpoint)
  t.after(() => agent.close())
  const listed = await agent.json<{ processes: unknown[] }>({
    method: 'GET',
    path: '/v1/processes',
  })
  assert.deepEqual(listed.processes, [])
})

test('readiness over TCP fails with the liveness reason once the container is gone', async () => {
  const endpoint = { host: '127.0.0.1', port: await freePort() }
  const reason = 'the container exited while starting (code 1)'
  let checks = 0
  await assert.rejects(
    waitForAgentHello(endpoint, TOKEN, 60_000, async () => (++checks >= 2 ? reason : null)),
    { message: reason },
  )
  assert.equal(checks, 2)
})

test('readiness over TCP never accepts a listener that cannot prove the token', async (t) => {
  const fake = await impostor(t, (_request, response) => {
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ version: 'dev', proof: 'ab'.repeat(32) }))
  })
  const gone = 'the container disappeared while starting'
  let checks = 0
  await assert.rejects(
    waitForAgentHello(fake, TOKEN, 60_000, async () => (++checks >= 2 ? gone : null)),
    { message: gone },
  )
  assert.ok(fake.requests.length >= 1, 'the impostor was asked for a hello')
  assert.ok(fake.requests.every((line) => line.startsWith('GET /v1/hello?nonce=')))
})

test('a wrong token is refused by the real agent over TCP', async (t) => {
  const agent = await startAgent(t)
  await assert.rejects(
    connectVerified(agent.endpoint, `${TOKEN}-wrong`, 5_000),
    /hello answered 401/,
  )
  const wrong = client(agent.endpoint, `${TOKEN}-wrong`)
  t.after(() => wrong.close())
  await assert.rejects(
    wrong.json({ method: 'GET', path: '/v1/processes' }),
    (error: unknown) => error instanceof ApiError && error.key === 'AGENT_NOT_CONNECTED',
  )
})

test('an impostor that answers the hello without the proof gets no request', async (t) => {
  const fake = await impostor(t, (request, response) => {
    response.setHeader('content-type', 'application/json')
    // It echoes what it can see; the token never crosses in a way that lets it sign the nonce.
    response.end(JSON.stringify({ version: 'dev', proof: '00'.repeat(32), seen: request.url }))
  })
  await assert.rejects(connectVerified(fake, TOKEN, 5_000), /without a valid proof/)
  const fooled = client(fake)
  t.after(() => fooled.close())
  await assert.rejects(
    fooled.json({ method: 'POST', path: '/v1/processes/run', body: { cmd: 'true' } }),
    (error: unknown) => error instanceof ApiError && error.key === 'AGENT_NOT_CONNECTED',
  )
  assert.ok(
    fake.requests.every((line) => line.startsWith('GET /v1/hello?nonce=')),
    `only hellos reached the impostor: ${fake.requests.join(', ')}`,
  )
})

/** A TCP forwarder to `target` that counts the connections made through it. */
async function countingForwarder(
  t: { after(fn: () => unknown): void },
  target: AgentEndpoint,
): Promise<AgentEndpoint & { connections(): number }> {
  let count = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((inbound) => {
    count++
    const outbound = net.connect(target as net.NetConnectOpts)
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const { port } = server.address() as net.AddressInfo
  return { host: '127.0.0.1', port, connections: () => count }
}

test('commands run over TCP on one kept-alive, verified connection', async (t) => {
  const agent = await startAgent(t)
  const forwarder = await countingForwarder(t, agent.endpoint)
  const agentClient = client(forwarder)
  t.after(() => agentClient.close())
  const result = await agentClient.json<{ exit_code: number; stdout: string; stderr: string }>({
    method: 'POST',
    path: '/v1/processes/run',
    body: { cmd: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'] },
  })
  assert.equal(result.exit_code, 3)
  assert.equal(result.stdout, 'out\n')
  assert.equal(result.stderr, 'err\n')
  for (let i = 0; i < 5; i++) {
    const again = await agentClient.json<{ stdout: string }>({
      method: 'POST',
      path: '/v1/processes/run',
      body: { cmd: 'echo', args: [`n${i}`] },
    })
    assert.equal(again.stdout, `n${i}\n`)
  }
  assert.equal(forwarder.connections(), 1, 'six requests in turn share one verified connection')
})

test('process events stream over TCP until the exit event', async (t) => {
  const agent = await startAgent(t)
  const agentClient = client(agent.endpoint)
  t.after(() => agentClient.close())
  const { pid } = await agentClient.json<{ pid: number }>({
    method: 'POST',
    path: '/v1/processes',
    body: { cmd: 'sh', args: ['-c', 'echo one; echo two; exit 4'] },
  })
  const response = await agentClient.open({
    method: 'GET',
    path: `/v1/processes/${pid}/events?after=0`,
  })
  let text = ''
  for await (const chunk of response) text += (chunk as Buffer).toString('utf8')
  const events = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { seq: number; type: string; data?: string; code?: number })
  assert.deepEqual(
    events.map((event) => event.seq),
    events.map((_event, index) => index + 1),
  )
  assert.equal(events[0]?.type, 'start')
  const stdout = events.filter((event) => event.type === 'stdout').map((event) => event.data)
  assert.equal(stdout.join(''), 'one\ntwo\n')
  const last = events.at(-1)
  assert.equal(last?.type, 'exit')
  assert.equal(last?.code, 4)
})

test('an upgraded raw stream (a sandbox port) works over TCP', async (t) => {
  const agent = await startAgent(t)
  const agentClient = client(agent.endpoint)
  t.after(() => agentClient.close())
  const echo = net.createServer((socket) => socket.pipe(socket))
  echo.listen(0, '127.0.0.1')
  await once(echo, 'listening')
  t.after(() => echo.close())
  const port = (echo.address() as net.AddressInfo).port
  const { socket, head } = await agentClient.upgrade(`/v1/ports/${port}/connect`, 'wm-tcp')
  t.after(() => socket.destroy())
  let received = head.toString('utf8')
  socket.write('ping over tcp')
  socket.end()
  for await (const chunk of socket) received += (chunk as Buffer).toString('utf8')
  assert.equal(received, 'ping over tcp')
})

test('an agent that is gone is AGENT_NOT_CONNECTED over TCP', async (t) => {
  const agent = await startAgent(t)
  const agentClient = client(agent.endpoint)
  t.after(() => agentClient.close())
  await agentClient.json({ method: 'GET', path: '/v1/processes' })
  agent.child.kill('SIGTERM')
  await once(agent.child, 'exit')
  assert.equal(await agent.whyGone(), 'the agent exited (0)')
  await assert.rejects(
    agentClient.json({ method: 'GET', path: '/v1/processes' }),
    (error: unknown) => error instanceof ApiError && error.key === 'AGENT_NOT_CONNECTED',
  )
})
