import { setTimeout as sleep } from 'node:timers/promises'
import type { AgentClient } from '../agent/client.js'
import type { ReadinessCheck } from './types.js'

/** Default seconds a kind's sandbox has to pass its readiness check. */
export const DEFAULT_READINESS_TIMEOUT_SECONDS = 60

/** Longest a single run of the check may take. */
const RUN_LIMIT_MS = 10_000

interface RunReply {
  exit_code: number
  stdout: string
  stderr: string
  timed_out: boolean
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n')
  return (lines[lines.length - 1] ?? '').slice(0, 300)
}

/**
 * Runs `check` in the sandbox through its agent until it exits 0 (waiting
 * 250 ms, then longer, up to 1 s, between runs). Rejects once its time is
 * up, saying how the last run ended.
 */
export async function waitForReadiness(
  agent: AgentClient,
  kind: string,
  check: ReadinessCheck,
): Promise<void> {
  const seconds = check.timeoutSeconds ?? DEFAULT_READINESS_TIMEOUT_SECONDS
  const deadline = Date.now() + seconds * 1000
  let pause = 250
  let last = 'it never ran'
  for (;;) {
    const remaining = deadline - Date.now()
    const limit = Math.max(100, Math.min(remaining, RUN_LIMIT_MS))
    try {
      const reply = await agent.json<RunReply>({
        method: 'POST',
        path: '/v1/processes/run',
        body: {
          cmd: check.cmd,
          args: check.args ?? [],
          timeout_ms: Math.ceil(limit),
          stdin: false,
        },
        timeoutMs: limit + 5_000,
      })
      if (reply.exit_code === 0 && !reply.timed_out) return
      const said = lastLine(reply.stderr) || lastLine(reply.stdout)
      last = reply.timed_out
        ? `it ran for ${Math.round(limit / 1000)} s without finishing`
        : `it exited with code ${reply.exit_code}${said ? `: ${said}` : ''}`
    } catch (error) {
      last = (error as Error).message
    }
    if (Date.now() + pause >= deadline) {
      throw new Error(
        `the sandbox of application kind ${kind} was not ready within ${seconds} s: its readiness check (${check.cmd}) did not pass; last time ${last}`,
      )
    }
    await sleep(pause)
    pause = Math.min(pause * 2, 1000)
  }
}
