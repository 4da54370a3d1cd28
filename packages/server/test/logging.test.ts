import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { createLogger, redactUrl } from '../src/logging.js'
import { tempDir } from './helpers/app.js'

test('redactUrl masks secret query values only', () => {
  assert.equal(redactUrl('/a?token=abc&path=x', ['token']), '/a?token=%5BREDACTED%5D&path=x')
  assert.equal(redactUrl('/a?path=x', ['token']), '/a?path=x')
  assert.equal(redactUrl('/a', ['token']), '/a')
})

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error('condition not met in time')
}

test('WM_LOG_DIR + WM_LOG_NAME rotate at WM_LOG_MAX_BYTES keeping WM_LOG_BACKUP_COUNT files', async (t) => {
  const dir = await tempDir(t)
  const logger = createLogger(
    loadConfig({
      WM_LOG_DIR: dir,
      WM_LOG_NAME: 'server.log',
      WM_LOG_MAX_BYTES: '2048',
      WM_LOG_BACKUP_COUNT: '2',
    }),
  )
  for (let i = 0; i < 200; i++) {
    logger.info({ i, filler: 'x'.repeat(100) }, 'line')
    if (i % 20 === 0) await sleep(20)
  }
  await waitFor(async () => (await fs.readdir(dir)).includes('server.log.2'))
  await sleep(200)
  const files = (await fs.readdir(dir)).sort()
  assert.deepEqual(files, ['server.log', 'server.log.1', 'server.log.2'])
  for (const file of files) {
    const { size } = await fs.stat(path.join(dir, file))
    assert.ok(size <= 2048 + 512, `${file} is ${size} bytes`)
  }
})

test('request logs carry ids but never the API key or a token', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'wm.log')
  const config = loadConfig({
    WM_DATA_DIR: dir,
    WM_LOG_FILE: file,
    WORKSPACE_API_KEY: 'super-secret-key',
    WM_NFS_ENABLED: 'false',
  })
  const app = await buildApp(config)
  t.after(() => app.close())
  await app.inject({
    method: 'GET',
    url: '/v1/workspaces?token=secret-token-value',
    headers: { 'x-api-key': 'super-secret-key', 'x-request-id': 'req-1' },
  })
  await app.inject({
    method: 'GET',
    url: '/v1/workspaces',
    headers: { 'x-api-key': 'wrong-key-value' },
  })
  await waitFor(async () => (await fs.readFile(file, 'utf8').catch(() => '')).includes('req-1'))
  const text = await fs.readFile(file, 'utf8')
  assert.match(text, /"reqId":"req-1"/)
  assert.match(text, /REDACTED/)
  for (const secret of ['super-secret-key', 'secret-token-value', 'wrong-key-value']) {
    assert.ok(!text.includes(secret), `${secret} leaked into the log`)
  }
})

/** A console stand-in that keeps what is written to it. */
function captured(): { write(line: string): void; text(): string } {
  const chunks: string[] = []
  return { write: (line: string) => void chunks.push(line), text: () => chunks.join('') }
}

// pino-pretty colours only where colours are supported; the tests read the text.
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '')

test('on a terminal the console gets readable lines, secrets still masked', async (t) => {
  const dir = await tempDir(t)
  const config = loadConfig({
    WM_DATA_DIR: dir,
    WORKSPACE_API_KEY: 'super-secret-key',
    WM_NFS_ENABLED: 'false',
  })
  const stdout = captured()
  const app = await buildApp(config, { logger: createLogger(config, { stdout, isTTY: true }) })
  t.after(() => app.close())
  app.log.info({ sandboxId: 'sb_1' }, 'hello there')
  await app.inject({
    method: 'GET',
    url: '/v1/workspaces?token=secret-token-value',
    headers: { 'x-api-key': 'super-secret-key', 'x-request-id': 'req-1' },
  })
  const lines = plain(stdout.text()).split('\n').filter(Boolean)
  const hello = /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello there \{"sandboxId":"sb_1"\}$/
  assert.ok(
    lines.some((line) => hello.test(line)),
    lines.join('\n'),
  )
  for (const line of lines) assert.ok(!line.startsWith('{'), `a JSON line on a terminal: ${line}`)
  const request = lines.find((line) => line.includes('incoming request'))
  assert.match(request ?? '', /"reqId":"req-1".*REDACTED/)
  for (const secret of ['super-secret-key', 'secret-token-value']) {
    assert.ok(!stdout.text().includes(secret), `${secret} leaked to the console`)
  }
})

test('off a terminal the console gets JSON lines', () => {
  const stdout = captured()
  const logger = createLogger(loadConfig({}), { stdout, isTTY: false })
  logger.info({ sandboxId: 'sb_1' }, 'hello there')
  const lines = stdout.text().split('\n').filter(Boolean)
  assert.equal(lines.length, 1)
  assert.deepEqual(
    (({ level, msg, sandboxId, service }) => ({ level, msg, sandboxId, service }))(
      JSON.parse(lines[0]!),
    ),
    { level: 30, msg: 'hello there', sandboxId: 'sb_1', service: 'wm-server' },
  )
})

test('log files get JSON lines even when the console is a terminal', async (t) => {
  const file = path.join(await tempDir(t), 'wm.log')
  const stdout = captured()
  const logger = createLogger(loadConfig({ WM_LOG_FILE: file, WM_CONSOLE: 'true' }), {
    stdout,
    isTTY: true,
  })
  logger.info({ sandboxId: 'sb_1' }, 'to both')
  await waitFor(async () => (await fs.readFile(file, 'utf8').catch(() => '')).includes('to both'))
  const [line, ...rest] = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean)
  assert.deepEqual(rest, [])
  assert.equal(JSON.parse(line!).msg, 'to both')
  assert.match(plain(stdout.text()), /^\[[\d:.]+\] INFO: to both \{"sandboxId":"sb_1"\}\n$/)
})
