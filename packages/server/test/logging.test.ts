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
