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
  const readyFile = path.join(runDir, 'ready')
  const deadline = Date.now() + timeoutMs
  let notify: () => void = () => undefined
  const watcher = fs.watch(runDir, () => notify())
  watcher.on('error', () => undefined)
  try {
    let lastLivenessCheck = Date.now()
    while (!fs.existsSync(readyFile)) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`the agent did not start within ${timeoutMs / 1000} s`)
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
