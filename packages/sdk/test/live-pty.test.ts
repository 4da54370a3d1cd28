import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import {
  PtyNotFoundError,
  SandboxNotFoundError,
  type PtyConnectOptions,
  type PtySession,
  type WorkspaceClient,
} from '../src/index.js'
import { LIVE_TEMPLATE, liveClient, skipLive } from './support/live.js'

/** A session with its output collected as text. */
interface Terminal {
  pty: PtySession
  text(): string
  /** Resolves once the output matches `pattern` (the terminal echoes input: match results, not commands). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
}

async function open(
  client: WorkspaceClient,
  sandboxId: string,
  options: PtyConnectOptions = {},
): Promise<Terminal> {
  const decoder = new TextDecoder()
  let text = ''
  const pty = await client.pty.connect(sandboxId, {
    ...options,
    onData: (data) => (text += decoder.decode(data, { stream: true })),
  })
  return {
    pty,
    text: () => text,
    waitFor: async (pattern, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(text)) {
        if (Date.now() > deadline) assert.fail(`no ${pattern} in terminal output: ${text}`)
        await sleep(20)
      }
    },
  }
}

describe('live: pty', { skip: skipLive }, () => {
  const client = liveClient()
  let workspaceId = ''
  let sb = ''

  before(async () => {
    workspaceId = (await client.workspace.create({ name: 'sdk-live-pty' })).id
    sb = (await client.sandbox.create({ workspaceId, template: LIVE_TEMPLATE })).id
  })
  after(async () => {
    await client.sandbox.delete(sb, { force: true }).catch(() => undefined)
    await client.workspace.delete(workspaceId).catch(() => undefined)
    client.close()
  })

  test('connect: input is echoed and run; exit ends the session with its code', async () => {
    const term = await open(client, sb)
    assert.match(term.pty.ptyId, /\S/)
    term.pty.write('echo hello-$((6*7))\n')
    await term.waitFor(/hello-42/)
    term.pty.write('exit 7\n')
    assert.equal(await term.pty.wait(), 7)
    assert.equal(term.pty.exitCode, 7)
  })

  test('shell and env options reach the shell', async () => {
    const term = await open(client, sb, { shell: '/bin/sh', env: { PTY_VAR: 'from-env' } })
    term.pty.write('echo "[$PTY_VAR]" "[$0]"\n')
    await term.waitFor(/\[from-env\] \[\/bin\/sh\]/)
    term.pty.write('exit\n')
    assert.equal(await term.pty.wait(), 0)
  })

  test('the initial size and resize are what stty size reports', async () => {
    const term = await open(client, sb, { cols: 100, rows: 30 })
    term.pty.write('stty size\n')
    await term.waitFor(/^30 100\r?$/m)
    term.pty.resize(120, 40)
    await sleep(100)
    term.pty.write('stty size\n')
    await term.waitFor(/^40 120\r?$/m)
    term.pty.kill()
  })

  test('kill ends the shell with 137', async () => {
    const term = await open(client, sb)
    term.pty.write('sleep 300\n')
    await sleep(200)
    term.pty.kill()
    assert.equal(await term.pty.wait(), 137)
  })

  test('detach, then reconnect: output produced meanwhile is replayed once', async () => {
    const term = await open(client, sb)
    term.pty.write('echo start-$((1+1)); sleep 1; echo while-away-$((2+3))\n')
    await term.waitFor(/start-2/)
    await term.pty.close()
    assert.equal(term.pty.connected, false)
    await sleep(2000)
    assert.doesNotMatch(term.text(), /while-away-5/)
    await term.pty.reconnect()
    await term.waitFor(/while-away-5/)
    term.pty.write('echo after-$((3+4))\n')
    await term.waitFor(/after-7/)
    assert.equal(term.text().match(/start-2/g)?.length, 1)
    assert.equal(term.text().match(/while-away-5/g)?.length, 1)
    assert.equal(term.pty.droppedBytes, 0)
    term.pty.kill()
    assert.equal(await term.pty.wait(), 137)
  })

  test('a shell that exits while detached reports its exit code on reconnect', async () => {
    const term = await open(client, sb)
    term.pty.write('sleep 1; echo gone-$((4+5)); exit 9\n')
    await sleep(200)
    await term.pty.close()
    await sleep(2000)
    await term.pty.reconnect()
    assert.equal(await term.pty.wait(), 9)
    assert.match(term.text(), /gone-9/)
  })

  test('attach by id replays the kept output', async () => {
    const term = await open(client, sb)
    term.pty.write('echo kept-$((5*5))\n')
    await term.waitFor(/kept-25/)
    const decoder = new TextDecoder()
    let replayed = ''
    const other = await client.pty.attach(sb, term.pty.ptyId, {
      after: 0,
      onData: (data) => (replayed += decoder.decode(data, { stream: true })),
    })
    for (let i = 0; i < 100 && !/kept-25/.test(replayed); i++) await sleep(20)
    assert.match(replayed, /kept-25/)
    other.kill()
    assert.equal(await other.wait(), 137)
  })

  test('a bogus PTY id is PtyNotFoundError; a bogus sandbox is SandboxNotFoundError', async () => {
    await assert.rejects(client.pty.attach(sb, 'no-such-pty'), PtyNotFoundError)
    await assert.rejects(client.pty.connect('sb_no_such_sandbox'), SandboxNotFoundError)
  })

  test('10 concurrent sessions each run their own shell', async () => {
    const terms = await Promise.all(Array.from({ length: 10 }, () => open(client, sb)))
    assert.equal(new Set(terms.map((t) => t.pty.ptyId)).size, 10)
    terms.forEach((term, i) => term.pty.write(`echo session-$((${i}+100)); exit ${i}\n`))
    const codes = await Promise.all(terms.map((term) => term.pty.wait()))
    assert.deepEqual(
      codes,
      terms.map((_, i) => i),
    )
    terms.forEach((term, i) => assert.match(term.text(), new RegExp(`session-${i + 100}`)))
  })
})
