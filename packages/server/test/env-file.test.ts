import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { loadEnvFile } from '../src/config/env-file.js'
import { ConfigError } from '../src/config/index.js'
import { tempDir } from './helpers/app.js'

test('the env file fills in variables the environment leaves unset', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'server.env')
  await fs.writeFile(file, 'WM_PORT=9000\nWORKSPACE_API_KEY=from-file\n')
  const env = loadEnvFile({ WM_SERVER_ENV_FILE: file, WORKSPACE_API_KEY: 'from-env' })
  assert.equal(env.WM_PORT, '9000')
  assert.equal(env.WORKSPACE_API_KEY, 'from-env')
})

test('a missing default .env.server is fine; a missing named file is an error', async (t) => {
  const dir = await tempDir(t)
  const cwd = process.cwd()
  process.chdir(dir)
  t.after(() => process.chdir(cwd))
  assert.deepEqual(loadEnvFile({ A: '1' }), { A: '1' })
  assert.throws(
    () => loadEnvFile({ WM_SERVER_ENV_FILE: path.join(dir, 'nope.env') }),
    (error: unknown) => error instanceof ConfigError && error.variable === 'WM_SERVER_ENV_FILE',
  )
})

test('.env.server in the working directory is loaded by default', async (t) => {
  const dir = await tempDir(t)
  await fs.writeFile(path.join(dir, '.env.server'), 'WM_HOST=0.0.0.0\n')
  const cwd = process.cwd()
  process.chdir(dir)
  t.after(() => process.chdir(cwd))
  assert.equal(loadEnvFile({}).WM_HOST, '0.0.0.0')
})
