import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSandbox, run } from '../helpers/sandbox.js'
import { MiB, createWorkspace, getWorkspace, quotaApp, upload } from './helpers.js'

/*
 * The kernel, not the server, enforces the quota: a process in a sandbox
 * writing past it is refused by the filesystem, with the real engine and agent.
 */

const TIMEOUT = { timeout: 240_000 }

async function shell(app: Parameters<typeof run>[0], sandboxId: string, script: string) {
  const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  return result.json as { stdout: string; stderr: string; exit_code: number }
}

test('dd in a sandbox past a 20 MiB quota fails with "Disk quota exceeded"', TIMEOUT, async (t) => {
  const { app } = await quotaApp(t)
  const ws = await createWorkspace(app, { quota_bytes: 20 * MiB })
  const other = await createWorkspace(app, { quota_bytes: 20 * MiB })
  const { sandboxId } = await createSandbox(t, app, { workspace_id: ws.id })

  const dd = await shell(
    app,
    sandboxId,
    'dd if=/dev/urandom of=/workspace/fill bs=1M count=40 conv=fsync',
  )
  assert.notEqual(dd.exit_code, 0, `dd succeeded: ${dd.stderr}`)
  assert.match(dd.stderr, /Disk quota exceeded/)
  const size = await shell(app, sandboxId, 'stat -c %s /workspace/fill')
  assert.ok(Number(size.stdout) <= 20 * MiB, `the file grew to ${size.stdout.trim()} bytes`)
  const used = (await getWorkspace(app, ws.id)).used_bytes!
  assert.ok(used <= 20 * MiB && used > 15 * MiB, `used_bytes ${used}`)

  // The file API on the full workspace says so; another workspace takes files as before.
  assert.equal((await upload(app, ws.id, 'more.bin', 2 * MiB)).statusCode, 507)
  assert.equal((await upload(app, other.id, 'a.bin', 10 * MiB)).statusCode, 201)

  // Space freed in the sandbox is usable again.
  const freed = await shell(
    app,
    sandboxId,
    'rm /workspace/fill && dd if=/dev/urandom of=/workspace/small bs=1M count=5 conv=fsync 2>&1 && echo ok',
  )
  assert.equal(freed.exit_code, 0, freed.stdout + freed.stderr)
  assert.match(freed.stdout, /ok\n$/)
})
