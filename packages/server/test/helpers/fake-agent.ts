import fs from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { createHmac } from 'node:crypto'
import type { SandboxSpec } from '../../src/runtime/types.js'

/**
 * Stand-ins for the in-sandbox agent, for services tested on the fake
 * runtime: each "container" that starts gets an HTTP server on its run
 * directory's socket that passes the hello handshake, lists no processes and
 * answers every run with exit code 0 and the command line as its output;
 * then writes `ready`, as the real agent does. Hand `onStart` and `onExit`
 * to the FakeRuntime.
 */
export class FakeAgents {
  readonly #servers = new Map<string, http.Server>()
  /** Every command run, as `sandboxId: cmd args`. */
  readonly ran: string[] = []

  readonly onStart = async (spec: SandboxSpec): Promise<void> => {
    this.onExit(spec.sandboxId)
    const server = http.createServer((request, response) => {
      void this.#answer(spec, request, response)
    })
    this.#servers.set(spec.sandboxId, server)
    const socket = path.join(spec.runHostDir, 'agent.sock')
    await fs.rm(socket, { force: true })
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    await fs.writeFile(path.join(spec.runHostDir, 'ready'), 'fake')
  }

  readonly onExit = (sandboxId: string): void => {
    const server = this.#servers.get(sandboxId)
    this.#servers.delete(sandboxId)
    server?.close()
    server?.closeAllConnections()
  }

  /** Ends every agent still serving. */
  close(): void {
    for (const id of [...this.#servers.keys()]) this.onExit(id)
  }

  async #answer(
    spec: SandboxSpec,
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const url = new URL(request.url ?? '/', 'http://agent')
    let reply: unknown = { error: { code: 1007, message: 'not found' } }
    let status = 404
    if (url.pathname === '/v1/hello') {
      const nonce = url.searchParams.get('nonce') ?? ''
      reply = { proof: createHmac('sha256', spec.agentToken).update(nonce).digest('hex') }
      status = 200
    } else if (request.method === 'GET' && url.pathname === '/v1/processes') {
      reply = { processes: [] }
      status = 200
    } else if (request.method === 'POST' && url.pathname === '/v1/processes/run') {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as {
        cmd?: string
        args?: string[]
      }
      const line = [body.cmd, ...(body.args ?? [])].join(' ')
      this.ran.push(`${spec.sandboxId}: ${line}`)
      reply = { pid: 1, exit_code: 0, stdout: line, stderr: '', timed_out: false, truncated: false }
      status = 200
    }
    const text = JSON.stringify(reply)
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    response.end(text)
  }
}
