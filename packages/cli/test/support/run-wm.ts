/** Runs the built `wm` (dist/main.js) as a child process and collects what it printed. */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Path of the built entry point. */
export const WM_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

/** `false` when dist/main.js exists, else why process tests are skipped. */
export const skipUnbuilt: string | false = existsSync(WM_MAIN)
  ? false
  : 'build first: npx tsc -b packages/cli'

/** Outcome of one `wm` run. */
export interface WmResult {
  code: number | null
  stdout: string
  stdoutBytes: Buffer
  stderr: string
}

/** Options of {@link runWm}. */
export interface RunOptions {
  /** Environment added to a clean one (only PATH is inherited). */
  env?: Record<string, string>
  /** Bytes written to stdin (stdin is closed either way). */
  input?: string | Uint8Array
  cwd?: string
}

/** Runs `node dist/main.js ...args`. */
export function runWm(args: string[], options: RunOptions = {}): Promise<WmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WM_MAIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out)
      resolve({
        code,
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
      })
    })
    child.stdin.end(options.input)
  })
}

/** `false` when live tests can run (server named by WM_TEST_API_URL, wm built), else why not. */
export const skipLive: string | false = !process.env.WM_TEST_API_URL
  ? 'set WM_TEST_API_URL to run live tests'
  : skipUnbuilt

/** Environment pointing `wm` at the live server. */
export function liveEnv(): Record<string, string> {
  const env: Record<string, string> = { WORKSPACE_API_URL: process.env.WM_TEST_API_URL ?? '' }
  if (process.env.WM_TEST_API_KEY) env.WORKSPACE_API_KEY = process.env.WM_TEST_API_KEY
  return env
}

/** Image of the live sandboxes (built by the bootstrap); WM_TEST_TEMPLATE overrides it. */
export const LIVE_TEMPLATE = process.env.WM_TEST_TEMPLATE ?? 'workspace-test:latest'
