import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** A call the server logs (at info: /health is logged only at warn). */
async function listWorkspaces(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/v1/workspaces`)).status
  } catch {
    return undefined
  }
}

test('the server keeps serving after whoever read its console goes away (EPIPE)', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-console-'))
  t.after(() => fs.rm(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      WM_DATA_DIR: dataDir,
      WM_PORT: String(port),
      WM_HOST: '127.0.0.1',
      WM_NFS_ENABLED: 'false',
      WM_LOG_LEVEL: 'DEBUG',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  let exited = false
  child.on('exit', () => (exited = true))
  // Up once it logs that it listens.
  await new Promise<void>((resolve, reject) => {
    let seen = ''
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (/listening/i.test(seen)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`exited early (${code}): ${seen}`)))
  })
  assert.equal(await listWorkspaces(port), 200)
  // The reader goes away: every later console line hits a closed pipe.
  child.stdout.destroy()
  child.stderr.destroy()
  for (let i = 0; i < 20; i++) assert.equal(await listWorkspaces(port), 200, `call ${i}`)
  assert.equal(exited, false)
})
