/** The dashboard of a server without API keys: nothing to sign in to. */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, requireBuild, startServer, type TestServer } from './harness.js'

let server: TestServer
let browser: Browser

before(async () => {
  requireBuild()
  server = await startServer(null)
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('with authentication off /ui opens on the workspaces page', { timeout: 60_000 }, async () => {
  const page = await browser.newPage()
  await page.goto(`${server.url}/ui/`)
  await page.getByRole('heading', { name: 'Workspaces' }).waitFor()
  await page.getByText('No workspaces yet.').waitFor()
  assert.equal(await page.locator('input[name=api-key]').count(), 0)
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0)
  // A deep link is answered with the page, which routes itself.
  await page.goto(`${server.url}/ui/sandboxes`)
  await page.getByRole('heading', { name: 'Sandboxes' }).waitFor()
})
