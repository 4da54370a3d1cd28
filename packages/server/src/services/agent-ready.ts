import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectVerified } from '../agent/handshake.js'
import type { AgentEndpoint } from '../runtime/types.js'

/** How often, at most, the container is asked whether it still runs while waiting. */
const LIVENESS_INTERVAL_MS = 250
/** Back-off between hello attempts over TCP: short at first, never above the liveness interval. */
const FIRST_BACKOFF_MS = 25
/**
 * One hello attempt's bound: a pod IP that drops packets must not eat the
 * whole wait (the liveness check then runs once per attempt, not every 250 ms).
 */
const HELLO_ATTEMPT_MS = 2_000

/**
 * Resolves once the agent at `endpoint` is ready: for a unix socket, once it
 * has written `ready` in the run directory beside it; over TCP (where there
 * is no shared directory), once it answers a verified hello. Rejects with
 * the reason `stillAlive` gives when the container is gone first, or on
 * timeout.
 */
export async function waitForAgentAt(
  endpoint: AgentEndpoint,
  runDir: string,
  token: string,
  timeoutMs: number,
  stillAlive: () => Promise<string | null>,
): Promise<void> {
  if ('socketPath' in endpoint) await waitForAgentReady(runDir, timeoutMs, stillAlive)
  else await waitForAgentHello(endpoint, token, timeoutMs, stillAlive)
}

/**
 * Tries a verified hello at `endpoint` until one succeeds; between attempts
 * a short back-off, and at most every 250 ms the `stillAlive` check, whose
 * reason is the rejection when the container is gone. A listener that
 * cannot prove the token never counts as ready.
 */
export async function waitForAgentHello(
  endpoint: AgentEndpoint,
  token: string,
  timeoutMs: number,
  stillAlive: () => Promise<string | null>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastLivenessCheck = Date.now()
  let backoffMs = FIRST_BACKOFF_MS
  for (;;) {
    let lastError: Error
    try {
      const remaining = Math.max(deadline - Date.now(), 1)
      ;(await connectVerified(endpoint, token, Math.min(remaining, HELLO_ATTEMPT_MS))).destroy()
      return
    } catch (error) {
      lastError = error as Error
    }
    if (Date.now() - lastLivenessCheck >= LIVENESS_INTERVAL_MS) {
      lastLivenessCheck = Date.now()
      const reason = await stillAlive()
      if (reason) throw new Error(reason)
    }
    const remaining = deadline - Date.now()
    if (remaining <= 0) {
      throw new Error(
        `the agent did not start within ${timeoutMs / 1000} s (last attempt: ${lastError.message})`,
      )
    }
    await sleep(Math.min(remaining, backoffMs))
    backoffMs = Math.min(backoffMs * 2, LIVENESS_INTERVAL_MS)
  }
}

/**
 * Resolves once the agent has written `<runDir>/ready`, rejects with the
 * reason `stillAlive` gives when the container is gone first, or on timeout.
 * fs.watch makes the common case instant; a slow poll covers filesystems
 * where watching misses the event.
 */
export async function waitForAgentReady(
  runDir: string,
  timeoutMs: number,
  stillAlive: () => Promise<string | null>,
): Promise<void> {
  await waitForRunFile(runDir, 'ready', timeoutMs, stillAlive)
}

/** Files the agent and the server exchange in the run directory besides `ready`. */
export const RUN_FILES = {
  /** Written by the agent once it has let go of its socket (POST /v1/detach). */
  detached: 'detached',
  /** Written by the server to have a detached agent take its socket again. */
  resume: 'resume',
} as const

/** Resolves once the agent has written `<runDir>/<name>`; see waitForAgentReady. */
export async function waitForRunFile(
  runDir: string,
  name: string,
  timeoutMs: number,
  stillAlive: () => Promise<string | null>,
): Promise<void> {
  const file = path.join(runDir, name)
  const deadline = Date.now() + timeoutMs
  let notify: () => void = () => undefined
  const watcher = fs.watch(runDir, () => notify())
  watcher.on('error', () => undefined)
  try {
    let lastLivenessCheck = Date.now()
    while (!fs.existsSync(file)) {
      const remaining = deadline - Date.now()
      if (remaining <= 0)
        throw new Error(
          name === 'ready'
            ? `the agent did not start within ${timeoutMs / 1000} s`
            : `the agent did not write ${name} within ${timeoutMs / 1000} s`,
        )
      await Promise.race([
        new Promise<void>((resolve) => (notify = resolve)),
        sleep(Math.min(remaining, 100)),
      ])
      if (Date.now() - lastLivenessCheck >= LIVENESS_INTERVAL_MS) {
        lastLivenessCheck = Date.now()
        const reason = await stillAlive()
        if (reason) throw new Error(reason)
      }
    }
  } finally {
    watcher.close()
  }
}
