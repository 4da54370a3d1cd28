import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import {
  LoggedProcess,
  cleanEnv,
  repoPath,
  waitUntilReady,
} from '../../server/test/replicas/processes.js'
import { freePort } from '../../server/test/replicas/client.js'

/** The Debian package's browser; no browser is ever downloaded. */
export const CHROMIUM = process.env['WM_CHROMIUM'] ?? '/usr/bin/chromium'
/** The offline-built test image (scripts/build-test-template.sh). */
export const TEST_TEMPLATE = 'workspace-test:latest'
/** Where the screenshots of the main pages go (docs/dashboard.md shows them). */
export const SCREENSHOTS = repoPath('docs/screenshots')

/** A server process on its own port and data dir, killed by `stop`. */
export interface TestServer {
  url: string
  process: LoggedProcess
  stop: () => Promise<void>
}

/** Fails early, saying how to get it, when the dashboard was not built. */
export function requireBuild(): void {
  if (!fs.existsSync(repoPath('packages/dashboard/dist/index.html'))) {
    throw new Error('packages/dashboard/dist is missing: run npm run build first')
  }
}

/**
 * Starts a real server (real Docker, the test template) with `apiKey`, or none for no auth;
 * `env` adds or overrides settings.
 */
export async function startServer(
  apiKey: string | null,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const port = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-dashboard-'))
  const server = new LoggedProcess(
    'server',
    path.join(dataDir, 'server.log'),
    process.execPath,
    ['--import', 'tsx', repoPath('packages/server/src/main.ts')],
    cleanEnv({
      WM_HOST: '127.0.0.1',
      WM_PORT: String(port),
      WM_DATA_DIR: dataDir,
      WM_NFS_ENABLED: 'false',
      WM_SERVER_ENV_FILE: '/dev/null',
      WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
      WORKSPACE_STOP_TIMEOUT_SECONDS: '1',
      WORKSPACE_DEFAULT_MEM: '512m',
      ...(apiKey ? { WORKSPACE_API_KEY: apiKey } : {}),
      ...env,
    }),
  )
  const url = `http://127.0.0.1:${port}`
  try {
    await waitUntilReady(server, `${url}/ready`)
  } catch (error) {
    await server.stop()
    throw error
  }
  return {
    url,
    process: server,
    stop: async () => {
      await server.stop()
      fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 })
    },
  }
}

/** Headless Chromium; `--no-sandbox` because the suite runs as root. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  })
}

/** The text the terminal shows now (xterm.js draws rows as DOM text). */
export async function terminalText(page: Page): Promise<string> {
  return (await page.locator('[data-testid=terminal] .xterm-rows').innerText()).replace(
    /\u00a0/g,
    ' ',
  )
}

/** Waits until the terminal shows text matching `pattern`; fails with what it showed. */
export async function waitForTerminal(page: Page, pattern: RegExp, timeoutMs = 20_000) {
  try {
    await page.waitForFunction(
      ({ source, flags }) => {
        // innerText, not textContent: each row is a block, so rows come out as lines.
        const rows = document.querySelector<HTMLElement>('[data-testid=terminal] .xterm-rows')
        const text = (rows?.innerText ?? '').replace(/\u00a0/g, ' ')
        return new RegExp(source, flags).test(text)
      },
      { source: pattern.source, flags: pattern.flags },
      { timeout: timeoutMs },
    )
  } catch (error) {
    throw new Error(
      `the terminal never showed ${pattern}: ${(error as Error).message}\n---- terminal ----\n${await terminalText(page).catch(() => '(none)')}`,
    )
  }
}

/** Types into the terminal as a user would (the page's focus on xterm's textarea). */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid=terminal] .xterm-helper-textarea').focus()
  await page.keyboard.type(text)
}

/** Saves a screenshot of the page as docs/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false })
}

/** Goes to a page through the top navigation bar. */
export async function openFromNav(page: Page, name: 'Workspaces' | 'Sandboxes'): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click()
}
