/**
 * Live: WorkspaceManagerClient against a real server (WM_TEST_API_URL).
 * Token, port, checkpoint and Splunk routes are landing on the server in
 * parallel; a test of one of them skips, saying so, when the server answers
 * that the route does not exist (404 code 1007) or is turned off (403 code 1003).
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import {
  SplunkWorkspace,
  TemplateNotFoundError,
  WorkspaceError,
  WorkspaceManagerClient,
  WorkspaceNotFoundError,
  type WorkspaceHandle,
} from '../src/index.js'
import { LIVE_TEMPLATE, skipLive } from './support/live.js'

const apiKey = process.env.WM_TEST_API_KEY

/** Runs `action`; skips the test when the server lacks (or has turned off) the route. */
async function orSkip<T>(
  t: TestContext,
  what: string,
  action: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await action()
  } catch (error) {
    if (error instanceof WorkspaceError && error.status === 404 && error.code === 1007) {
      t.skip(`${what}: this server has no such route yet (${error.message})`)
      return undefined
    }
    if (error instanceof WorkspaceError && error.status === 403 && error.code === 1003) {
      t.skip(`${what}: turned off on this server (${error.message})`)
      return undefined
    }
    throw error
  }
}

describe('WorkspaceManagerClient against a live server', { skip: skipLive }, () => {
  let client: WorkspaceManagerClient
  let ws: WorkspaceHandle
  let dir: string
  before(async () => {
    client = new WorkspaceManagerClient({ baseUrl: process.env.WM_TEST_API_URL, apiKey, env: {} })
    ws = await client.createWorkspace({ image: LIVE_TEMPLATE, name: 'wm-manager-live' })
    dir = await mkdtemp(join(tmpdir(), 'wm-manager-live-'))
  })
  after(async () => {
    await ws?.delete().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    client.close()
  })

  test('health', async () => {
    assert.equal((await client.health()).status, 'ok')
  })

  test('one call makes a running workspace; exec, files, delete', async () => {
    const made = await client.createWorkspace({
      image: LIVE_TEMPLATE,
      env: { GREETING: 'hi' },
      mem: '256m',
    })
    assert.equal(made.sandbox?.state, 'running')
    assert.equal(made.sandbox?.memory, 256 * 1024 * 1024)
    assert.equal((await made.exec('pwd')).stdout.trim(), made.workdir)
    const result = await made.exec('echo "$GREETING" >&2; exit 3')
    assert.deepEqual([result.exitCode, result.stderr], [3, 'hi\n'])
    await made.writeFile('src/hello.txt', 'héllo\n')
    assert.equal((await made.exec(['cat', 'src/hello.txt'])).stdout, 'héllo\n')
    assert.equal((await made.exec(['ls'], { cwd: 'src' })).stdout, 'hello.txt\n')
    await made.exec('printf made > made.txt')
    assert.equal(await made.readFile(`${made.workdir}/made.txt`), 'made')
    const sandboxId = made.sandboxId!
    await made.delete()
    await assert.rejects(client.getWorkspace(made.id), WorkspaceNotFoundError)
    assert.equal(await client.sandbox.exists(sandboxId), false)
  })

  test('list, get and delete', async () => {
    const bare = await client.workspace.create()
    const listed = new Map((await client.listWorkspaces()).map((h) => [h.id, h]))
    assert.equal(listed.get(ws.id)?.sandboxId, ws.sandboxId)
    assert.equal(listed.get(bare.id)?.sandboxId, null)
    assert.equal((await client.getWorkspace(ws.id)).sandboxId, ws.sandboxId)
    await client.deleteWorkspace(bare.id)
    assert.equal(
      (await client.listWorkspaces()).some((h) => h.id === bare.id),
      false,
    )
  })

  test('a sandbox that cannot start leaves no workspace', async () => {
    const before = (await client.listWorkspaces()).map((h) => h.id).sort()
    await assert.rejects(
      client.createWorkspace({ image: 'wm-no-such-template:never' }),
      TemplateNotFoundError,
    )
    assert.deepEqual((await client.listWorkspaces()).map((h) => h.id).sort(), before)
  })

  test('token upload and download round trip', async (t) => {
    const data = randomBytes(3 * 1024 * 1024 + 7)
    const local = join(dir, 'up.bin')
    await writeFile(local, data)
    const info = await orSkip(t, 'file tokens', () => ws.upload(local, 'data/up.bin'))
    if (!info) return
    assert.equal(info.size, data.length)
    const digest = (await ws.exec(['sha256sum', 'data/up.bin'])).stdout.split(' ')[0]
    assert.equal(digest, createHash('sha256').update(data).digest('hex'))
    const back = join(dir, 'back.bin')
    assert.equal(await ws.download(`${ws.workdir}/data/up.bin`, back), data.length)
    assert.ok((await readFile(back)).equals(data))
  })

  test('a download URL works without the API key', async (t) => {
    await ws.writeFile('shared.txt', 'for a third party')
    const url = await orSkip(t, 'file tokens', () => ws.downloadUrl('shared.txt'))
    if (!url) return
    assert.equal(await (await fetch(url)).text(), 'for a third party')
    if (apiKey) assert.equal((await fetch(await ws.uploadUrl('shared.txt'))).status, 401)
  })

  test('portUrl reaches a server in the sandbox', async (t) => {
    const url = await orSkip(t, 'port hints', () => ws.portUrl(8766))
    if (!url) return
    assert.ok(url.endsWith(`/v1/sandboxes/${ws.sandboxId}/proxy/8766/`))
    await ws.writeFile('site/index.html', 'served from the sandbox')
    await ws.exec('cd site && nohup python3 -m http.server 8766 --bind 127.0.0.1 >/dev/null 2>&1 &')
    await ws.exec(
      `for i in $(seq 50); do python3 -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8766/")' 2>/dev/null && break; sleep 0.1; done`,
    )
    const reply = await fetch(`${url}index.html`, {
      headers: apiKey ? { 'x-api-key': apiKey } : {},
    })
    assert.equal(await reply.text(), 'served from the sandbox')
  })

  test('checkpoint and restore', async (t) => {
    await ws.writeFile('state.txt', 'before')
    const checkpoint = await orSkip(t, 'checkpoints', () => ws.checkpoint('first'))
    if (!checkpoint) return
    assert.ok(['process', 'filesystem'].includes(checkpoint.kind))
    assert.ok((await ws.checkpoints()).some((c) => c.id === checkpoint.id))
    await ws.writeFile('state.txt', 'after')
    const sandbox = await ws.restore(checkpoint.id)
    assert.equal(sandbox.state, 'running')
    assert.equal(await ws.readFile('state.txt'), 'before')
    await ws.deleteCheckpoint(checkpoint.id)
    assert.equal(
      (await ws.checkpoints()).some((c) => c.id === checkpoint.id),
      false,
    )
  })

  test('Splunk search', async (t) => {
    const kinds = await orSkip(t, 'application kinds', () => client.applicationKinds())
    if (!kinds) return
    if (!kinds.some((k) => k.kind === 'splunk')) {
      return t.skip("this server offers no application kind 'splunk' (plugin not loaded yet)")
    }
    const environment = {
      SPLUNK_USERNAME: process.env.WM_TEST_SPLUNK_USERNAME ?? 'admin',
      SPLUNK_PASSWORD: process.env.WM_TEST_SPLUNK_PASSWORD ?? 'changeme123',
    }
    const splunk = await SplunkWorkspace.create(client, { environment })
    try {
      const results = await splunk.search('index=main | head 2')
      assert.equal(results.length, 2)
      const counted = await splunk.search('index=main | stats count by host')
      assert.ok(counted.some((row) => row.host === 'web-01'))
      assert.doesNotMatch(
        JSON.stringify(splunk.handle.sandbox),
        new RegExp(environment.SPLUNK_PASSWORD),
      )
    } finally {
      await splunk.delete()
    }
  })
})
