/**
 * A sandbox's network policy, secrets and disk size through the dashboard,
 * in a real browser against a real server (no API key), real Docker, the
 * egress gateway and the test template: created with the form, shown on the
 * sandbox page (a secret's hosts, never its value), and the allow list
 * changed while it runs.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import {
  TEST_TEMPLATE,
  launchBrowser,
  openFromNav,
  requireBuild,
  screenshot,
  startServer,
  type TestServer,
} from './harness.js'

const NAME = 'dash-net'
const SECRET_VALUE = 'sk-dashboard-9f3c71e2-never-shown'
const REFUSED = 'refused.example'
const STEP_MS = 90_000

describe('network, secrets and disk size', { timeout: 10 * 60_000 }, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let workspaceId = ''
  const replies: Promise<string>[] = []
  const pageProblems: string[] = []

  /** One API call from the test itself, as JSON. */
  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    const text = await response.text()
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }

  async function sandboxByName(): Promise<any> {
    const { sandboxes } = await api('GET', `/v1/sandboxes?workspace_id=${workspaceId}`)
    const found = sandboxes.find((sandbox: { name: string }) => sandbox.name === NAME)
    assert.ok(found, `no sandbox ${NAME} in ${JSON.stringify(sandboxes)}`)
    return found
  }

  before(async () => {
    requireBuild()
    server = await startServer(null)
    workspaceId = (await api('POST', '/v1/workspaces', { name: 'dash-net-space' })).id
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    page.setDefaultTimeout(30_000)
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`))
    // Every API reply the page read, to check that none of them carried the secret's value.
    page.on('response', (response) => {
      const json = (response.headers()['content-type'] ?? '').includes('application/json')
      if (json && new URL(response.url()).pathname.startsWith('/v1/')) {
        replies.push(response.text().catch(() => ''))
      }
    })
  })

  after(async () => {
    await browser?.close()
    if (server && workspaceId) {
      const { sandboxes } = await api('GET', `/v1/sandboxes?workspace_id=${workspaceId}`)
      for (const sandbox of sandboxes) await api('DELETE', `/v1/sandboxes/${sandbox.id}`)
      await api('DELETE', `/v1/workspaces/${workspaceId}`)
    }
    await server?.stop()
  })

  test(
    'a disk size the server refuses shows its code in the form',
    { timeout: STEP_MS },
    async () => {
      await page.goto(`${server.url}/ui/`)
      await openFromNav(page, 'Sandboxes')
      const form = page.getByTestId('create-sandbox')
      await form.waitFor()
      await form.locator('input[name=name]').fill(NAME)
      await form.locator('input[name=template]').fill(TEST_TEMPLATE)
      await form.locator('input[name=disk]').fill('lots')
      await form.locator('button[type=submit]').click()
      const error = form.getByTestId('error')
      await error.waitFor()
      assert.match(await error.innerText(), /1001/)
      assert.match(await error.innerText(), /disk_bytes/)
      assert.equal(
        (await api('GET', `/v1/sandboxes?workspace_id=${workspaceId}`)).sandboxes.length,
        0,
      )
    },
  )

  test(
    'the form creates a sandbox with an allow list, a secret and a disk size',
    { timeout: 3 * STEP_MS },
    async () => {
      const form = page.getByTestId('create-sandbox')
      await form.locator('input[name=disk]').fill('64MiB')
      await form.locator('select[name=network]').selectOption('allowlist')
      await form
        .locator('textarea[name=allow]')
        .fill('pypi.org, *.pythonhosted.org\n10.20.0.0/16:5432')
      await form.locator('input[name=secret-name]').fill('API_TOKEN')
      const value = form.locator('input[name=secret-value]')
      assert.equal(await value.getAttribute('type'), 'password')
      assert.equal(await value.getAttribute('autocomplete'), 'off')
      await value.fill(SECRET_VALUE)
      await form.locator('input[name=secret-hosts]').fill('api.example.com, *.example.net')
      await form.locator('button[type=submit]').click()
      await page
        .locator('[data-testid=sandbox-list] tr', { hasText: NAME })
        .locator('.state-running')
        .waitFor({ timeout: 2 * STEP_MS })
      // The form forgets the value once the server has it.
      assert.equal(await form.locator('input[name=secret-value]').inputValue(), '')

      const sandbox = await sandboxByName()
      assert.equal(sandbox.disk_bytes, 64 * 1024 * 1024)
      assert.equal(sandbox.network.mode, 'allowlist')
      assert.deepEqual(sandbox.network.allow, [
        'pypi.org',
        '*.pythonhosted.org',
        '10.20.0.0/16:5432',
      ])
      assert.deepEqual(sandbox.secrets, {
        API_TOKEN: { hosts: ['api.example.com', '*.example.net'] },
      })
    },
  )

  test(
    'the sandbox page shows disk, policy, refusals and secret hosts, never the value',
    { timeout: STEP_MS },
    async () => {
      await page.getByRole('link', { name: NAME, exact: true }).click()
      const panel = page.getByTestId('network')
      await panel.waitFor()
      assert.equal(await page.getByTestId('disk').innerText(), '64.0 MiB')
      assert.equal(await panel.getByTestId('network-mode').innerText(), 'allowlist')
      const allow = await panel.getByTestId('network-allow').innerText()
      for (const entry of ['pypi.org', '*.pythonhosted.org', '10.20.0.0/16:5432']) {
        assert.ok(allow.includes(entry), allow)
      }
      const secrets = await panel.getByTestId('secrets').innerText()
      assert.match(secrets, /API_TOKEN/)
      assert.match(secrets, /api\.example\.com, \*\.example\.net/)

      // A lookup the policy refuses, from inside: the page (polling) lists it.
      const { id } = await sandboxByName()
      await api('POST', `/v1/sandboxes/${id}/processes`, {
        cmd: 'python3',
        args: [
          '-c',
          `import socket\ntry: socket.getaddrinfo('${REFUSED}', 80)\nexcept OSError: pass`,
        ],
      })
      await panel.getByTestId('network-refusals').getByText(REFUSED).waitFor()
      assert.ok(Number(await panel.getByTestId('network-denied').innerText()) >= 1)

      assert.ok(!(await page.content()).includes(SECRET_VALUE), 'the value is in the page')
      await screenshot(page, 'sandbox-network')
    },
  )

  test('the allow list and mode change while the sandbox runs', { timeout: STEP_MS }, async () => {
    const panel = page.getByTestId('network')
    const form = panel.getByTestId('network-form')
    await form.locator('textarea[name=allow]').fill('example.org\nfiles.example.org:8443')
    await form.getByRole('button', { name: 'Apply policy' }).click()
    await panel.getByTestId('network-allow').getByText('files.example.org:8443').waitFor()
    const allow = await panel.getByTestId('network-allow').innerText()
    assert.ok(!allow.includes('pypi.org'), allow)
    assert.deepEqual((await sandboxByName()).network.allow, [
      'example.org',
      'files.example.org:8443',
    ])

    await form.locator('select[name=network]').selectOption('open')
    await form.getByRole('button', { name: 'Apply policy' }).click()
    await panel.getByTestId('network-mode').getByText('open').waitFor()
    assert.equal(await panel.getByTestId('network-allow').count(), 0)
    assert.equal((await sandboxByName()).network.mode, 'open')
  })

  test('no API reply the page read carried the secret value; no script error', async () => {
    const bodies = await Promise.all(replies)
    assert.ok(bodies.length > 0)
    for (const body of bodies) assert.ok(!body.includes(SECRET_VALUE), body)
    assert.deepEqual(pageProblems, [])
  })
})
