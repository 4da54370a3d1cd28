import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { LIVE_TEMPLATE, WM_MAIN, liveEnv, runWm, skipLive } from './support/run-wm.js'
import { TmuxSession, shellQuote, skipTmux } from './support/tmux.js'

describe('live: wm shell', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (args: string[], input?: string) => runWm(args, { env, input })
  let ws = ''
  let sb = ''
  let scratch = ''

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'wm-shell-test-'))
    ws = (await wm(['workspace', 'create', '--name', 'cli-live-shell'])).stdout.trim()
    const created = await wm(['sandbox', 'create', '--workspace', ws, '--template', LIVE_TEMPLATE])
    assert.equal(created.code, 0, created.stderr)
    sb = created.stdout.trim()
  })
  after(async () => {
    await wm(['sandbox', 'rm', sb, '--force'])
    await wm(['workspace', 'rm', ws])
    await rm(scratch, { recursive: true, force: true })
  })

  test(
    'in a real terminal: raw keys, stty size, resize, exit code, terminal restored',
    {
      skip: skipTmux,
    },
    async () => {
      const tmux = new TmuxSession('shell')
      const exitFile = join(scratch, 'exit')
      const vars = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`)
      const wmShell = [...vars, shellQuote(process.execPath), shellQuote(WM_MAIN), 'shell', sb]
      const afterwards = `echo EXIT=$? > ${shellQuote(exitFile)}; stty -a >> ${shellQuote(exitFile)}`
      try {
        await tmux.start(`${wmShell.join(' ')}; ${afterwards}`, 120, 40)
        await tmux.type('echo ready-$((20+22))')
        await tmux.waitFor(/^ready-42\s*$/m)
        await tmux.type('stty size')
        await tmux.waitFor(/^40 120\s*$/m)
        await tmux.type('echo hi')
        await tmux.waitFor(/^hi\s*$/m)
        await tmux.resize(100, 30)
        await sleep(300)
        await tmux.type('stty size')
        await tmux.waitFor(/^30 100\s*$/m)
        await tmux.type('exit 5')
        const report = await waitForFile(exitFile)
        assert.match(report, /^EXIT=5$/m)
        // wm put the terminal back: line editing and echo are on again.
        assert.match(report, /(^|\s)icanon(\s|$)/m)
        assert.match(report, /(^|\s)echo(\s|$)/m)
      } finally {
        await tmux.kill()
      }
    },
  )

  test('with stdin piped, input is typed in and Ctrl-D sent at its end', async () => {
    const result = await wm(['shell', sb, '--shell', '/bin/sh'], 'echo piped-$((2+2))\nexit 3\n')
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stdout, /piped-4/)
    const eof = await wm(['shell', sb], 'echo at-eof-$((3+3))\n')
    assert.equal(eof.code, 0, eof.stderr)
    assert.match(eof.stdout, /at-eof-6/)
  })

  test('--env reaches the shell; a missing sandbox exits 3', async () => {
    const result = await wm(['shell', sb, '--env', 'GREETING=hello'], 'echo "[$GREETING]"\nexit\n')
    assert.match(result.stdout, /\[hello\]/)
    const missing = await wm(['shell', 'sb_no_such_sandbox'])
    assert.equal(missing.code, 3)
    assert.match(missing.stderr, /\(code 2001\)\n$/)
  })
})

async function waitForFile(path: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '')
    if (text.includes('EXIT=') && text.trim().split('\n').length > 1) return text
    if (Date.now() > deadline) throw new Error(`${path} was not written in time`)
    await sleep(100)
  }
}
