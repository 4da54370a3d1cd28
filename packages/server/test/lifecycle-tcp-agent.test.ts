import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import os from 'node:os'
import { once } from 'node:events'
import { test } from 'node:test'
import { loadConfig } from '../src/config/index.js'
import type { AgentEndpoint, SandboxSpec } from '../src/runtime/types.js'
import { RuntimeError } from '../src/runtime/errors.js'
import { FakeEngine, FakeRuntime } from './helpers/fake-runtime.js'
import { createSandbox, run, sandboxApp, TEST_TEMPLATE } from './helpers/sandbox.js'

const AGENT_BINARY = loadConfig({ WM_DATA_DIR: os.tmpdir() }).agent.binaryPath

/** A TCP port nothing listens on right now, other than `not`. */
async function freePort(not?: number): Promise<number> {
  for (;;) {
    const server = net.createServer().listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as net.AddressInfo
    server.close()
    await once(server, 'close')
    if (port !== not) return port
  }
}

/**
 * The real agent for each "container" of a fake runtime, run on this host
 * and listening on TCP only, as in a Kubernetes pod; every start gets a new
 * port, as a new pod gets a new IP.
 */
class TcpAgents {
  readonly #running = new Map<string, { child: ChildProcess; port: number }>()
  readonly #lastPort = new Map<string, number>()

  readonly onStart = async (spec: SandboxSpec): Promise<void> => {
    this.onExit(spec.sandboxId)
    const port = await freePort(this.#lastPort.get(spec.sandboxId))
    const child = spawn(
      AGENT_BINARY,
      ['--socket', '', '--listen', `tcp://127.0.0.1:${port}`, '--workdir', spec.workspaceHostDir],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WM_AGENT_TOKEN: spec.agentToken },
        stdio: 'ignore',
      },
    )
    this.#running.set(spec.sandboxId, { child, port })
    this.#lastPort.set(spec.sandboxId, port)
  }

  readonly onExit = (sandboxId: string): void => {
    this.#running.get(sandboxId)?.child.kill('SIGTERM')
    this.#running.delete(sandboxId)
  }

  endpoint(sandboxId: string): AgentEndpoint {
    const running = this.#running.get(sandboxId)
    if (!running) throw new RuntimeError('not_found', `sandbox ${sandboxId} has no running agent`)
    return { host: '127.0.0.1', port: running.port }
  }

  close(): void {
    for (const id of [...this.#running.keys()]) this.onExit(id)
  }
}

/** The fake runtime, but its sandboxes' agents are reached over TCP. */
class TcpAgentRuntime extends FakeRuntime {
  readonly #agents: TcpAgents

  constructor(agents: TcpAgents) {
    super({
      engine: new FakeEngine({ images: [TEST_TEMPLATE] }),
      onStart: agents.onStart,
      onExit: agents.onExit,
    })
    this.#agents = agents
  }

  override async agentEndpoint(sandboxId: string): Promise<AgentEndpoint> {
    return this.#agents.endpoint(sandboxId)
  }
}

test('a sandbox whose agent listens on TCP starts, runs commands, and is reached again at its new address after a restart', async (t) => {
  const agents = new TcpAgents()
  t.after(() => agents.close())
  const runtime = new TcpAgentRuntime(agents)
  const { app } = await sandboxApp(t, {}, { runtime })
  const { sandboxId, sandbox } = await createSandbox(t, app)
  assert.equal(sandbox.state, 'running')
  const first = agents.endpoint(sandboxId)

  const echo = await run(app, sandboxId, { cmd: 'sh', args: ['-c', 'echo over tcp; exit 5'] })
  assert.equal(echo.status, 200, JSON.stringify(echo.json))
  assert.equal(echo.json.stdout, 'over tcp\n')
  assert.equal(echo.json.exit_code, 5)

  const stopped = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sandboxId}/stop` })
  assert.equal(stopped.statusCode, 200, stopped.body)
  const started = await app.inject({ method: 'POST', url: `/v1/sandboxes/${sandboxId}/start` })
  assert.equal(started.statusCode, 200, started.body)
  const second = agents.endpoint(sandboxId)
  assert.notDeepEqual(second, first)

  const again = await run(app, sandboxId, { cmd: 'echo', args: ['again'] })
  assert.equal(again.status, 200, JSON.stringify(again.json))
  assert.equal(again.json.stdout, 'again\n')
})
