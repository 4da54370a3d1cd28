import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

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
      if (Date.now() - lastLivenessCheck >= 250) {
        lastLivenessCheck = Date.now()
        const reason = await stillAlive()
        if (reason) throw new Error(reason)
      }
    }
  } finally {
    watcher.close()
  }
}
