import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createSandbox, docker, run, sandboxApp, TEST_TEMPLATE } from '../helpers/sandbox.js'
import { MiB } from './helpers.js'

/*
 * A sandbox's root filesystem size (disk_bytes), with the real engine: its
 * storage driver (btrfs with quotas here, scripts/ensure-docker.sh) refuses
 * writes past it, while the server and other sandboxes go on.
 */

const TIMEOUT = { timeout: 240_000 }

async function shell(app: FastifyInstance, sandboxId: string, script: string) {
  const result = await run(app, sandboxId, { cmd: 'sh', args: ['-c', script] })
  assert.equal(result.status, 200, JSON.stringify(result.json))
  return result.json as { stdout: string; stderr: string; exit_code: number }
}

/** The `size` storage option the engine holds for the sandbox's container. */
async function storageSize(config: { sandboxDefaults: { containerPrefix: string } }, id: string) {
  const info = await docker.getContainer(`${config.sandboxDefaults.containerPrefix}${id}`).inspect()
  const options = (info.HostConfig as { StorageOpt?: Record<string, string> | null }).StorageOpt
  return options?.size === undefined ? undefined : Number(options.size)
}

test(
  'dd past a 64 MiB disk_bytes fails with the engine full, and stops short; an unlimited sandbox still writes',
  TIMEOUT,
  async (t) => {
    const { app, config } = await sandboxApp(t)
    const { Size: imageBytes } = await docker.getImage(TEST_TEMPLATE).inspect()
    const limited = await createSandbox(t, app, { disk_bytes: '64MiB' })
    assert.equal(limited.sandbox.disk_bytes, 64 * MiB)
    // The driver counts the image's bytes too: the server adds them, so 64 MiB can be written.
    assert.equal(await storageSize(config, limited.sandboxId), imageBytes + 64 * MiB)

    const dd = await shell(app, limited.sandboxId, 'dd if=/dev/zero of=/big bs=1M count=200')
    assert.notEqual(dd.exit_code, 0, `dd succeeded: ${dd.stderr}`)
    assert.match(dd.stderr, /Disk quota exceeded|No space left on device/)
    const written = Number((await shell(app, limited.sandboxId, 'stat -c %s /big')).stdout)
    assert.ok(written < 64 * MiB, `the file grew to ${written} bytes`)
    assert.ok(written > 32 * MiB, `only ${written} bytes could be written of 64 MiB`)

    const free = await createSandbox(t, app, { disk_bytes: null })
    assert.equal(free.sandbox.disk_bytes, null)
    assert.equal(await storageSize(config, free.sandboxId), undefined)
    const big = await shell(
      app,
      free.sandboxId,
      'dd if=/dev/zero of=/big bs=1M count=100 && rm /big',
    )
    assert.equal(big.exit_code, 0, big.stderr)

    // The full sandbox still runs processes, and the server answers for every sandbox.
    assert.equal((await shell(app, limited.sandboxId, 'echo alive')).stdout, 'alive\n')
    const list = await app.inject({ method: 'GET', url: '/v1/sandboxes' })
    assert.equal(list.statusCode, 200)
    const sizes = list.json<{ sandboxes: Array<{ id: string; disk_bytes: number | null }> }>()
    assert.deepEqual(
      sizes.sandboxes.map((s) => [s.id, s.disk_bytes]).sort(),
      [
        [limited.sandboxId, 64 * MiB],
        [free.sandboxId, null],
      ].sort(),
    )
  },
)

test(
  'the size is kept across stop and start: the same container, still full',
  TIMEOUT,
  async (t) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app, { disk_bytes: 16 * MiB })
    const before = await storageSize(config, sandboxId)
    await shell(app, sandboxId, 'dd if=/dev/zero of=/big bs=1M count=64; true')
    for (const action of ['stop', 'start']) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/sandboxes/${sandboxId}/${action}`,
      })
      assert.equal(response.statusCode, 200, response.body)
      assert.equal(response.json().disk_bytes, 16 * MiB)
    }
    assert.equal(await storageSize(config, sandboxId), before)
    const more = await shell(app, sandboxId, 'dd if=/dev/zero of=/more bs=1M count=8')
    assert.notEqual(more.exit_code, 0, 'the root filesystem stayed full')
    assert.match(more.stderr, /Disk quota exceeded|No space left on device/)
  },
)

test('WM_SANDBOX_DISK_BYTES is the size of a sandbox created without one', TIMEOUT, async (t) => {
  const { app, config } = await sandboxApp(t, { WM_SANDBOX_DISK_BYTES: '32MiB' })
  const { Size: imageBytes } = await docker.getImage(TEST_TEMPLATE).inspect()
  const byDefault = await createSandbox(t, app)
  assert.equal(byDefault.sandbox.disk_bytes, 32 * MiB)
  assert.equal(await storageSize(config, byDefault.sandboxId), imageBytes + 32 * MiB)
  const asked = await createSandbox(t, app, { disk_bytes: 48 * MiB })
  assert.equal(asked.sandbox.disk_bytes, 48 * MiB)
  const dd = await shell(app, byDefault.sandboxId, 'dd if=/dev/zero of=/big bs=1M count=64')
  assert.match(dd.stderr, /Disk quota exceeded|No space left on device/)
})

test(
  'a checkpoint restore makes the new container with the same size, counted from the checkpoint',
  TIMEOUT,
  async (t) => {
    const { app, config } = await sandboxApp(t)
    const { sandboxId } = await createSandbox(t, app, { disk_bytes: '24MiB' })
    await shell(app, sandboxId, 'dd if=/dev/zero of=/kept bs=1M count=8')
    const saved = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${sandboxId}/checkpoints`,
      payload: {},
    })
    assert.equal(saved.statusCode, 201, saved.body)
    const restored = await app.inject({
      method: 'POST',
      url: `/v1/sandboxes/${sandboxId}/checkpoints/${saved.json().id}/restore`,
    })
    assert.equal(restored.statusCode, 200, restored.body)
    assert.equal(restored.json().disk_bytes, 24 * MiB)
    const name = `${config.sandboxDefaults.containerPrefix}${sandboxId}`
    const { Size: imageBytes } = await docker
      .getImage((await docker.getContainer(name).inspect()).Image)
      .inspect()
    assert.equal(await storageSize(config, sandboxId), imageBytes + 24 * MiB)
    const dd = await shell(app, sandboxId, 'dd if=/dev/zero of=/big bs=1M count=64')
    assert.match(dd.stderr, /Disk quota exceeded|No space left on device/)
    assert.equal((await shell(app, sandboxId, 'stat -c %s /kept')).stdout, `${8 * MiB}\n`)
  },
)

test('under gVisor (WM_RUNTIME=runsc) the size holds the same way', TIMEOUT, async (t) => {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> }
  if (!info.Runtimes?.runsc) {
    const why = 'the engine has no runsc runtime (see scripts/ensure-gvisor.sh)'
    if (process.env.CI === 'true') assert.fail(`CI bootstraps gVisor, yet ${why}`)
    return t.skip(why)
  }
  const { app } = await sandboxApp(t, { WM_RUNTIME: 'runsc' })
  const { sandboxId, sandbox } = await createSandbox(t, app, { disk_bytes: '64MiB' })
  assert.equal(sandbox.disk_bytes, 64 * MiB)
  const dd = await shell(app, sandboxId, 'dd if=/dev/zero of=/big bs=1M count=200')
  assert.notEqual(dd.exit_code, 0, `dd succeeded: ${dd.stderr}`)
  assert.match(dd.stderr, /Disk quota exceeded|No space left on device/)
  const written = Number((await shell(app, sandboxId, 'stat -c %s /big')).stdout)
  assert.ok(written < 64 * MiB && written > 32 * MiB, `the file is ${written} bytes`)
})
