/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core)
 * against a real server with an API key, real Docker and the test template:
 * sign in, a workspace with an uploaded file, a sandbox and its terminal,
 * then everything deleted again.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { freePort } from '../../server/test/replicas/client.js'
import {
  TEST_TEMPLATE,
  launchBrowser,
  openFromNav,
  requireBuild,
  screenshot,
  startServer,
  terminalText,
  typeInTerminal,
  waitForTerminal,
  type TestServer,
} from './harness.js'

const API_KEY = 'dashboard-test-key'
const WORKSPACE = 'dash-demo'
const FILE = 'hello-from-browser.txt'
const STEP_MS = 90_000

describe('dashboard with an API key', { timeout: 10 * 60_000 }, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  const pageProblems: string[] = []

  before(async () => {
    requireBuild()
    // NFS on (its own ganesha on free ports): the workspace page shows its mount commands.
    const [nfsPort, mountPort] = [await freePort(), await freePort()]
    server = await startServer(API_KEY, {
      WM_NFS_ENABLED: 'true',
      WM_NFS_PORT: String(nfsPort),
      WM_NFS_MOUNT_PORT: String(mountPort),
    })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(30_000)
    // Script errors and anything the CSP refused would be bugs of the page, whatever the steps see.
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' && /Refused to|Content Security Policy/.test(message.text())) {
        pageProblems.push(`CSP: ${message.text()}`)
      }
    })
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
  })

  test(
    'a wrong key is refused with its code; the right one signs in',
    { timeout: STEP_MS },
    async () => {
      await page.goto(`${server.url}/ui/`)
      await page.fill('input[name=api-key]', 'not-the-key')
      await page.click('button[type=submit]')
      const error = page.getByTestId('error')
      await error.waitFor()
      assert.match(await error.innerText(), /1002/)
      assert.match(await error.innerText(), /invalid API key/)

      await page.fill('input[name=api-key]', API_KEY)
      await page.click('button[type=submit]')
      await page.getByRole('heading', { name: 'Workspaces' }).waitFor()
      assert.equal(await page.evaluate(() => sessionStorage.getItem('wm.apiKey')), API_KEY)
      assert.equal(await page.evaluate(() => localStorage.length), 0)
    },
  )

  test('a workspace is created and listed', { timeout: STEP_MS }, async () => {
    await page.fill('[data-testid=create-workspace] input[name=name]', WORKSPACE)
    await page.fill('[data-testid=create-workspace] textarea[name=metadata]', 'team=dashboard')
    await page.click('[data-testid=create-workspace] button[type=submit]')
    await page.locator('[data-testid=workspace-list] tr', { hasText: WORKSPACE }).waitFor()
    await screenshot(page, 'workspaces')
  })

  test('a file uploaded in the file browser is listed', { timeout: STEP_MS }, async () => {
    await page.getByRole('link', { name: WORKSPACE }).click()
    await page.getByTestId('file-browser').waitFor()
    assert.match(await page.locator('dl.facts').innerText(), /team=dashboard/)
    await page.setInputFiles('input[name=upload]', {
      name: FILE,
      mimeType: 'text/plain',
      buffer: Buffer.from('made by the dashboard test\n'),
    })
    await page.locator(`[data-file="${FILE}"]`).waitFor()
    await page.locator('.upload', { hasText: 'done' }).waitFor()
    await screenshot(page, 'file-browser')
  })

  test('a sandbox is created and shown running', { timeout: 3 * STEP_MS }, async () => {
    await openFromNav(page, 'Sandboxes')
    await page.getByTestId('create-sandbox').waitFor()
    await page.fill('[data-testid=create-sandbox] input[name=name]', 'dash-box')
    await page.fill('[data-testid=create-sandbox] input[name=template]', TEST_TEMPLATE)
    await page.click('[data-testid=create-sandbox] button[type=submit]')
    await page
      .locator('[data-testid=sandbox-list] tr', { hasText: 'dash-box' })
      .locator('.state-running')
      .waitFor({ timeout: 2 * STEP_MS })
    await screenshot(page, 'sandboxes')
  })

  test('deleting a workspace with a sandbox shows error 7002', { timeout: STEP_MS }, async () => {
    await openFromNav(page, 'Workspaces')
    const row = page.locator('[data-testid=workspace-list] tr', { hasText: WORKSPACE })
    await row.getByRole('button', { name: 'Delete' }).click()
    await row.getByRole('button', { name: 'Confirm delete' }).click()
    const error = page.getByTestId('error')
    await error.waitFor()
    assert.match(await error.innerText(), /7002/)
    // Still there.
    await row.waitFor()
  })

  test(
    'the terminal runs commands in the sandbox and sees the workspace',
    { timeout: STEP_MS },
    async () => {
      await openFromNav(page, 'Sandboxes')
      await page.getByRole('link', { name: 'dash-box' }).click()
      await page.locator('[data-testid=terminal-status][data-status=connected]').waitFor()
      await typeInTerminal(page, 'ls /workspace')
      await page.keyboard.press('Enter')
      await waitForTerminal(page, new RegExp(FILE.replace(/\./g, '\\.')))
      await screenshot(page, 'sandbox')
    },
  )

  test('resizing the window resizes the PTY', { timeout: STEP_MS }, async () => {
    const terminal = page.getByTestId('terminal')
    const before = await terminal.getAttribute('data-cols')
    await page.setViewportSize({ width: 900, height: 700 })
    await page.waitForFunction(
      (cols) =>
        document.querySelector('[data-testid=terminal]')?.getAttribute('data-cols') !== cols,
      before,
    )
    const cols = await terminal.getAttribute('data-cols')
    const rows = await terminal.getAttribute('data-rows')
    assert.notEqual(cols, before)
    await typeInTerminal(page, 'clear; stty size')
    await page.keyboard.press('Enter')
    await waitForTerminal(page, new RegExp(`^\\s*${rows} ${cols}\\s*$`, 'm'))
  })

  test('a dropped connection reattaches to the same shell', { timeout: STEP_MS }, async () => {
    const ptyBefore = await page.evaluate(() =>
      sessionStorage.getItem(`wm.pty.${location.pathname.split('/').pop()}`),
    )
    assert.ok(ptyBefore)
    await page.getByRole('button', { name: 'Reconnect' }).click()
    await page.locator('[data-testid=terminal-status][data-status=connected]').waitFor()
    await typeInTerminal(page, 'echo again-$((40+2))')
    await page.keyboard.press('Enter')
    await waitForTerminal(page, /^again-42\s*$/m)
    const ptyAfter = await page.evaluate(() =>
      sessionStorage.getItem(`wm.pty.${location.pathname.split('/').pop()}`),
    )
    assert.equal(ptyAfter, ptyBefore)
  })

  test(
    'closing and reopening the terminal shows its scroll-back',
    { timeout: STEP_MS },
    async () => {
      await typeInTerminal(page, 'echo scroll-back-$((6*7))')
      await page.keyboard.press('Enter')
      await waitForTerminal(page, /^scroll-back-42\s*$/m)
      await page.getByRole('button', { name: 'Close terminal' }).click()
      await page.getByTestId('terminal').waitFor({ state: 'detached' })
      await page.getByRole('button', { name: 'Open terminal' }).click()
      await page.locator('[data-testid=terminal-status][data-status=connected]').waitFor()
      // Nothing typed since: the line can only come from the replayed output.
      await waitForTerminal(page, /^scroll-back-42\s*$/m)
      assert.match(await terminalText(page), /again-42/)
    },
  )

  test(
    'deleting the sandbox and the workspace empties both lists',
    { timeout: 2 * STEP_MS },
    async () => {
      await openFromNav(page, 'Sandboxes')
      const row = page.locator('[data-testid=sandbox-list] tr', { hasText: 'dash-box' })
      await row.getByRole('button', { name: 'Delete' }).click()
      await row.getByRole('button', { name: 'Confirm delete' }).click()
      await page.getByText('No sandboxes.').waitFor({ timeout: STEP_MS })

      await openFromNav(page, 'Workspaces')
      const workspace = page.locator('[data-testid=workspace-list] tr', { hasText: WORKSPACE })
      await workspace.getByRole('button', { name: 'Delete' }).click()
      await workspace.getByRole('button', { name: 'Confirm delete' }).click()
      await page.getByText('No workspaces yet.').waitFor()
    },
  )

  test('an API answer of 401 returns to the sign-in page', { timeout: STEP_MS }, async () => {
    await page.evaluate(() => sessionStorage.setItem('wm.apiKey', 'revoked-key'))
    await page.reload()
    await page.locator('input[name=api-key]').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wm.apiKey')), null)
  })

  test('the page raised no script error and the CSP refused nothing', () => {
    assert.deepEqual(pageProblems, [])
  })
})
