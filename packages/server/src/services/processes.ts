import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import type { CommandResult, ProcessInfo, RunProcessBody } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { AgentClient } from '../agent/client.js'
import type { SandboxService } from './sandboxes.js'

/** Slack on top of a command's own timeout before the server gives up on the agent. */
const AGENT_SLACK_MS = 30_000

interface AgentRunReply {
  pid: number
  exit_code: number
  stdout: string
  stderr: string
  timed_out: boolean
  truncated: boolean
}

function agentBody(body: RunProcessBody, keepStdin: boolean, agent: AgentClient) {
  const env = agent.envFor(body.env)
  return {
    cmd: body.cmd,
    args: body.args ?? [],
    ...(env ? { env } : {}),
    ...(body.cwd ? { cwd: body.cwd } : {}),
    ...(body.timeout ? { timeout_ms: Math.ceil(body.timeout * 1000) } : {}),
    stdin: keepStdin,
  }
}

/** Processes inside sandboxes, through each sandbox's agent. */
export class ProcessService {
  readonly #sandboxes: SandboxService

  constructor(sandboxes: SandboxService) {
    this.#sandboxes = sandboxes
  }

  /** Runs a command to completion; past its timeout, 408 code 3002 carrying what it printed. */
  async run(sandboxId: string, body: RunProcessBody): Promise<CommandResult> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    const reply = await agent.json<AgentRunReply>({
      method: 'POST',
      path: '/v1/processes/run',
      body: {
        ...agentBody(body, false, agent),
        ...(typeof body.stdin === 'string' ? { stdin_data: body.stdin } : {}),
      },
      ...(body.timeout ? { timeoutMs: body.timeout * 1000 + AGENT_SLACK_MS } : {}),
    })
    const result = {
      pid: reply.pid,
      exit_code: reply.exit_code,
      stdout: reply.stdout,
      stderr: reply.stderr,
      truncated: reply.truncated,
    }
    if (reply.timed_out) {
      throw new ApiError(
        'PROCESS_TIMED_OUT',
        `${body.cmd} did not finish within ${body.timeout} s and was killed`,
        result,
      )
    }
    return result
  }

  /** Starts a command and resolves its pid and live event stream. */
  async start(
    sandboxId: string,
    body: RunProcessBody,
  ): Promise<{ pid: number; events: IncomingMessage }> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    const keepStdin = body.stdin === true || typeof body.stdin === 'string'
    // The agent keeps the output from the first byte until the events are asked for just
    // below: a fast writer would otherwise fill its ring first and lose the beginning. Not
    // while stdin is written first: a process that writes more than the ring before reading
    // all its input would wait on its own output until the agent's follower timeout.
    const hold = typeof body.stdin === 'string' ? '' : '?await_follower=1'
    const { pid } = await agent.json<{ pid: number }>({
      method: 'POST',
      path: `/v1/processes${hold}`,
      body: agentBody(body, keepStdin, agent),
    })
    if (typeof body.stdin === 'string')
      await this.writeStdin(sandboxId, pid, Readable.from([body.stdin]), true)
    return { pid, events: await this.events(sandboxId, pid, 0) }
  }

  /**
   * Starts a command whose stdout comes back as raw bytes: resolves its pid
   * and the agent's response (stdout as the body, the exit in its trailers).
   * Stderr is kept in the process's events.
   */
  async startRaw(
    sandboxId: string,
    body: RunProcessBody,
  ): Promise<{ pid: number; stdout: IncomingMessage }> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    const stdout = await agent.open({
      method: 'POST',
      path: '/v1/processes/raw',
      body: {
        ...agentBody(body, body.stdin === true, agent),
        ...(typeof body.stdin === 'string' ? { stdin_data: body.stdin } : {}),
      },
    })
    return { pid: Number(stdout.headers['x-pid']), stdout }
  }

  /** The kept events of `pid` after sequence number `after`, then live ones until it exits. */
  async events(sandboxId: string, pid: number, after: number): Promise<IncomingMessage> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    return agent.open({ method: 'GET', path: `/v1/processes/${pid}/events?after=${after}` })
  }

  /** Running and recently ended processes. */
  async list(sandboxId: string): Promise<ProcessInfo[]> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    const reply = await agent.json<{ processes: ProcessInfo[] }>({
      method: 'GET',
      path: '/v1/processes',
    })
    return reply.processes.map((p) => ({
      pid: p.pid,
      cmd: p.cmd,
      args: p.args ?? [],
      state: p.state,
      exit_code: p.exit_code,
      timed_out: p.timed_out,
      started_at: p.started_at,
      ended_at: p.ended_at,
    }))
  }

  /** Sends `signal` to the process group of `pid`. */
  async signal(sandboxId: string, pid: number, signal: number): Promise<void> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    await agent.json({ method: 'POST', path: `/v1/processes/${pid}/signal`, body: { signal } })
  }

  /** Streams `data` to the stdin of `pid`; `eof` closes it afterwards. */
  async writeStdin(
    sandboxId: string,
    pid: number,
    data: NodeJS.ReadableStream,
    eof: boolean,
  ): Promise<void> {
    const agent = await this.#sandboxes.agentFor(sandboxId)
    await agent.json({
      method: 'POST',
      path: `/v1/processes/${pid}/stdin?eof=${eof}`,
      rawBody: data,
    })
  }
}
