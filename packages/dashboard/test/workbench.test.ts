/**
 * The dashboard's file browser and sandbox tools in a real browser against a
 * real server with an API key: folders, drag-and-drop and large uploads with
 * progress, download, edit, rename, delete, symlinks; processes with live
 * output and kill, checkpoints, port links and the lifecycle actions.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { mountArgv, resolveNfsTarget } from 'workspace-sdk/nfs-command'
import { freePort } from '../../server/test/replicas/client.js'
import {
  TEST_TEMPLATE,
  launchBrowser,
  openFromNav,
  requireBuild,
  startServer,
  type TestServer,
} from './harness.js'

const API_KEY = 'workbench-key'
const STEP_MS = 90_000
const BIG_BYTES = 8 * 1024 * 1024

describe('dashboard files and sandbox tools', { timeout: 10 * 60_000 }, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let workspaceId = ''
  let sandboxId = ''

  /** The API itself, to set up and to check what the page did. */
  async function api(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        'x-api-key': API_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`)
    return response
  }

  const fileRow = (name: string) => page.locator(`[data-file="${name}"]`)

  before(async () => {
    requireBuild()
    // NFS on (the server runs its own ganesha on free ports) so the page has mount commands to show.
    const [nfsPort, mountPort] = [await freePort(), await freePort()]
    server = await startServer(API_KEY, {
      WM_NFS_ENABLED: 'true',
      WM_NFS_PORT: String(nfsPort),
      WM_NFS_MOUNT_PORT: String(mountPort),
    })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
    page.setDefaultTimeout(30_000)
    workspaceId = (
      (await (await api('POST', '/v1/workspaces', { name: 'bench' })).json()) as {
        id: string
      }
    ).id
    await page.goto(`${server.url}/ui/`)
    await page.fill('input[name=api-key]', API_KEY)
    await page.click('button[type=submit]')
    await page.getByRole('link', { name: 'bench' }).click()
    await page.getByTestId('file-browser').waitFor()
  })

  after(async () => {
    await browser?.close()
    if (sandboxId) await api('DELETE', `/v1/sandboxes/${sandboxId}`).catch(() => undefined)
    if (workspaceId) await api('DELETE', `/v1/workspaces/${workspaceId}`).catch(() => undefined)
    await server?.stop()
  })

  test(
    'the workspace page shows its NFS URL and the SDK mount commands',
    { timeout: STEP_MS },
    async () => {
      const workspace = (await (await api('GET', `/v1/workspaces/${workspaceId}`)).json()) as {
        nfs_url: string
      }
      assert.match(workspace.nfs_url, /^nfs:\/\//)
      assert.equal(await page.getByTestId('nfs-url').innerText(), workspace.nfs_url)
      const target = resolveNfsTarget(workspace.nfs_url, { apiHost: '127.0.0.1' })
      const nfs = await page.locator('.nfs').innerText()
      for (const platform of ['linux', 'darwin']) {
        assert.ok(
          nfs.includes(mountArgv(platform, target, '/mnt/bench').join(' ')),
          `${platform} command missing from:\n${nfs}`,
        )
      }
    },
  )

  test(
    'a folder is made and opened; a dropped file lands in it',
    { timeout: STEP_MS },
    async () => {
      await page.fill('input[name=folder]', 'notes')
      await page.getByRole('button', { name: 'Create folder' }).click()
      await fileRow('notes').getByRole('link', { name: 'notes/' }).click()
      await page.waitForURL(/path=notes/)
      // A drop as the browser delivers it: a DataTransfer holding a File.
      const transfer = await page.evaluateHandle(() => {
        const data = new DataTransfer()
        data.items.add(new File(['dropped text\n'], 'dropped.txt', { type: 'text/plain' }))
        return data
      })
      await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: transfer })
      await fileRow('dropped.txt').waitFor()
      const content = await api(
        'GET',
        `/v1/workspaces/${workspaceId}/files/content?path=notes/dropped.txt`,
      )
      assert.equal(await content.text(), 'dropped text\n')
    },
  )

  test('a large upload shows its progress to the end', { timeout: STEP_MS }, async () => {
    await page.setInputFiles('input[name=upload]', {
      name: 'big.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(BIG_BYTES, 7),
    })
    const upload = page.locator('.upload', { hasText: 'big.bin' })
    await upload.locator('progress').waitFor()
    await upload.getByText('done').waitFor()
    assert.equal(await upload.locator('progress').getAttribute('value'), String(BIG_BYTES))
    await fileRow('big.bin').getByText('8.0 MiB').waitFor()
  })

  test('a file is downloaded, edited, renamed and deleted', { timeout: STEP_MS }, async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      fileRow('dropped.txt').getByRole('button', { name: 'Download' }).click(),
    ])
    assert.equal(download.suggestedFilename(), 'dropped.txt')

    await fileRow('dropped.txt').getByRole('button', { name: 'Edit' }).click()
    const editor = page.getByTestId('file-editor')
    await editor.locator('textarea').waitFor()
    assert.equal(await editor.locator('textarea').inputValue(), 'dropped text\n')
    await editor.locator('textarea').fill('edited in the browser\n')
    await editor.getByRole('button', { name: 'Save' }).click()
    await editor.getByRole('button', { name: 'Save' }).waitFor({ state: 'visible' })
    await page.waitForFunction(
      async ({ url, key }) => {
        const response = await fetch(url, { headers: { 'x-api-key': key } })
        return (await response.text()) === 'edited in the browser\n'
      },
      {
        url: `/v1/workspaces/${workspaceId}/files/content?path=notes/dropped.txt`,
        key: API_KEY,
      },
    )
    await editor.getByRole('button', { name: 'Close' }).click()

    await fileRow('dropped.txt').getByRole('button', { name: 'Rename' }).click()
    await page.fill('input[name=new-name]', 'renamed.txt')
    await page.getByRole('button', { name: 'Move' }).click()
    await fileRow('renamed.txt').waitFor()
    assert.equal(await fileRow('dropped.txt').count(), 0)

    await fileRow('renamed.txt').getByRole('button', { name: 'Delete' }).click()
    await fileRow('renamed.txt').getByRole('button', { name: 'Confirm delete' }).click()
    await fileRow('renamed.txt').waitFor({ state: 'detached' })
  })

  test(
    'a sandbox runs a command with live output; a running one is killed',
    { timeout: 2 * STEP_MS },
    async () => {
      const created = await api('POST', '/v1/sandboxes', {
        workspace_id: workspaceId,
        name: 'bench-box',
        template: TEST_TEMPLATE,
      })
      sandboxId = ((await created.json()) as { id: string }).id
      await openFromNav(page, 'Sandboxes')
      await page.getByRole('link', { name: 'bench-box' }).click()
      const processes = page.getByTestId('processes')
      await processes
        .locator('input[name=command]')
        .fill('echo out-1; ln -s /etc/hostname /workspace/link; echo out-2')
      await processes.getByRole('button', { name: 'Run' }).click()
      await processes.getByText('exited with code 0').waitFor()
      assert.match(await page.getByTestId('process-output').innerText(), /out-1\s+out-2/)

      await processes.locator('input[name=command]').fill('echo started; sleep 600')
      await processes.getByRole('button', { name: 'Run' }).click()
      await page.getByTestId('process-output').getByText('started').waitFor()
      const running = processes.locator('tr', { hasText: 'sleep 600' })
      await running.getByText('running').waitFor()
      await running.getByRole('button', { name: 'Kill' }).click()
      await running.getByText(/exited/).waitFor()
    },
  )

  test('checkpoints are created, restored and deleted', { timeout: 3 * STEP_MS }, async () => {
    const checkpoints = page.getByTestId('checkpoints')
    await checkpoints.locator('input[name=checkpoint-name]').fill('cp-one')
    await checkpoints.getByRole('button', { name: 'Create checkpoint' }).click()
    const row = checkpoints.locator('tr', { hasText: 'cp-one' })
    await row.waitFor({ timeout: 2 * STEP_MS })
    await row.getByRole('button', { name: 'Restore' }).click()
    await row.getByRole('button', { name: 'Confirm restore' }).click()
    await checkpoints.getByText('Restored from cp-one.').waitFor({ timeout: 2 * STEP_MS })
    assert.equal(await checkpoints.getByTestId('error').count(), 0)
    await page.locator('.state-running').first().waitFor({ timeout: STEP_MS })
    await row.getByRole('button', { name: 'Delete' }).click()
    await row.getByRole('button', { name: 'Confirm delete' }).click()
    await checkpoints.getByText('No checkpoints.').waitFor()
  })

  test(
    'a port link opens the app in a new tab on a keyed server',
    { timeout: STEP_MS },
    async () => {
      const ports = page.getByTestId('ports')
      await ports.locator('input[name=port]').fill('8000')
      await ports.getByRole('button', { name: 'Show link' }).click()
      const link = ports.locator('a', { hasText: `/v1/sandboxes/${sandboxId}/proxy/8000/` })
      await link.waitFor()

      // A web server in the sandbox, then a click: the tab must reach it without the key header.
      await api('POST', `/v1/sandboxes/${sandboxId}/processes`, {
        cmd: 'sh',
        args: [
          '-c',
          'mkdir -p /tmp/www && echo hi > /tmp/www/port-marker.txt && ' +
            'nohup python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp/www >/dev/null 2>&1 &',
        ],
      })
      for (;;) {
        const reply = await fetch(`${server.url}/v1/sandboxes/${sandboxId}/proxy/8000/`, {
          headers: { 'x-api-key': API_KEY },
        })
        if (reply.status !== 502) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const popup = page.waitForEvent('popup')
      await link.click()
      const tab = await popup
      await tab.getByText('port-marker.txt').waitFor()
      const opened = new URL(tab.url())
      assert.equal(opened.pathname, `/v1/sandboxes/${sandboxId}/proxy/8000/`)
      assert.equal(opened.search, '') // the token left the address bar
      // A sub-path of the app, with the cookie alone.
      await tab.getByRole('link', { name: 'port-marker.txt' }).click()
      await tab.getByText('hi').waitFor()
      await tab.close()
      assert.equal(await ports.getByTestId('error').count(), 0)
    },
  )

  test(
    'pause, resume, stop and start change the live state',
    { timeout: 3 * STEP_MS },
    async () => {
      const header = page.locator('.card .toolbar').first()
      for (const [action, state] of [
        ['Pause', 'paused'],
        ['Resume', 'running'],
        ['Stop', 'stopped'],
        ['Start', 'running'],
      ] as const) {
        await header.getByRole('button', { name: action, exact: true }).click()
        await header.locator(`.state-${state}`).waitFor({ timeout: STEP_MS })
      }
    },
  )

  test('a symlink made in the sandbox is shown as one', { timeout: STEP_MS }, async () => {
    await page.getByRole('link', { name: workspaceId }).click()
    await fileRow('link').locator('.symlink').waitFor()
    assert.match(await fileRow('link').innerText(), /symlink/)
  })
})
