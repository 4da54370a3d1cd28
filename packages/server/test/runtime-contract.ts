import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RuntimeError } from '../src/runtime/errors.js'
import {
  TIMEOUT,
  assertKind,
  recordEvents,
  setUpRuntime,
  within,
  type Contract,
  type ContractSetUp,
  type MakeRuntime,
  type MakeUnavailable,
} from './runtime-contract-support.js'
import { runStateContract } from './runtime-contract-state.js'

export type { MakeRuntime, MakeUnavailable, RuntimeUnderTest } from './runtime-contract-support.js'

/**
 * The observable behaviour every SandboxRuntime must have. Each
 * implementation's test file calls this with a factory of runtimes on its
 * engine (test/runtime-docker.test.ts, test/runtime-fake.test.ts).
 */
export function runRuntimeContract(
  name: string,
  make: MakeRuntime,
  unavailable: MakeUnavailable,
): void {
  const setUp: ContractSetUp = (t) => setUpRuntime(make, t)

  const contract: Contract = (title, body) => test(`${name}: ${title}`, TIMEOUT, body)

  contract('start runs a container that inspect and listManaged report running', async (t) => {
    const { runtime, started } = await setUp(t)
    const { spec, containerId } = await started()
    const status = await runtime.inspect(spec.sandboxId)
    assert.equal(status?.sandboxId, spec.sandboxId)
    assert.equal(status?.containerId, containerId)
    assert.equal(status?.running, true)
    assert.equal(status?.exitCode, null)
    const listed = await runtime.listManaged()
    assert.deepEqual(
      listed.map((c) => [c.sandboxId, c.containerId, c.running]),
      [[spec.sandboxId, containerId, true]],
    )
  })

  contract('start from a missing image is image_not_found and leaves nothing', async (t) => {
    const { runtime, spec } = await setUp(t)
    const missing = await spec(undefined, { image: 'wm-contract-missing:nope' })
    await assert.rejects(runtime.start(missing), (error: unknown) => {
      assertKind('image_not_found')(error)
      assert.equal((error as RuntimeError).details.image, 'wm-contract-missing:nope')
      return true
    })
    assert.equal(await runtime.inspect(missing.sandboxId), undefined)
    assert.deepEqual(await runtime.listManaged(), [])
    assert.equal(await runtime.imageExists('wm-contract-missing:nope'), false)
  })

  contract('a spec the engine refuses is invalid, in its words, and leaves nothing', async (t) => {
    const { runtime, spec } = await setUp(t)
    const host = await runtime.hostResources()
    const tooMany = await spec(undefined, { nanoCpus: (host.cpus + 1) * 1e9 })
    await assert.rejects(runtime.start(tooMany), (error: unknown) => {
      assertKind('invalid')(error)
      assert.match((error as Error).message, /^the engine refused the sandbox's settings: .*CPU/)
      return true
    })
    assert.deepEqual(await runtime.listManaged(), [])
  })

  contract(
    'starting a sandbox that has a container is a conflict; the first runs on',
    async (t) => {
      const { runtime, started, spec } = await setUp(t)
      const first = await started()
      await assert.rejects(runtime.start(await spec(first.spec.sandboxId)), assertKind('conflict'))
      const status = await runtime.inspect(first.spec.sandboxId)
      assert.equal(status?.containerId, first.containerId)
      assert.equal(status?.running, true)
    },
  )

  contract('inspect of an unknown sandbox is undefined', async (t) => {
    const { runtime } = await setUp(t)
    assert.equal(await runtime.inspect('sb_never_made'), undefined)
  })

  contract('remove stops and removes, and is idempotent', async (t) => {
    const { runtime, started } = await setUp(t)
    const { spec } = await started()
    await runtime.remove(spec.sandboxId, 1)
    assert.equal(await runtime.inspect(spec.sandboxId), undefined)
    await runtime.remove(spec.sandboxId, 1)
    await runtime.remove(spec.sandboxId, 0)
    await runtime.remove('sb_never_made', 0)
    assert.deepEqual(await runtime.listManaged(), [])
  })

  contract('listManaged and inspect see exactly their own instance’s containers', async (t) => {
    const mine = await setUp(t)
    const theirs = await setUp(t)
    const a = await mine.started()
    const b = await theirs.started()
    const c = await mine.started()
    await mine.kill(c.spec.sandboxId)
    const listed = await mine.runtime.listManaged()
    assert.deepEqual(
      listed.map((s) => [s.sandboxId, s.running]).sort(),
      [
        [a.spec.sandboxId, true],
        [c.spec.sandboxId, false],
      ].sort(),
    )
    assert.deepEqual(
      (await theirs.runtime.listManaged()).map((s) => s.sandboxId),
      [b.spec.sandboxId],
    )
    assert.equal(await mine.runtime.inspect(b.spec.sandboxId), undefined)
    const killed = await mine.runtime.inspect(c.spec.sandboxId)
    assert.equal(killed?.running, false)
    assert.equal(typeof killed?.exitCode, 'number')
  })

  contract(
    'watch reports exited when the main process dies, for its own instance only',
    async (t) => {
      const mine = await setUp(t)
      const theirs = await setUp(t)
      const events = recordEvents(t, mine.runtime)
      const foreign = await theirs.started()
      const own = await mine.started()
      // The other instance's container dies first: had the watch seen it, it would come first.
      await theirs.kill(foreign.spec.sandboxId)
      await mine.kill(own.spec.sandboxId)
      const exited = await events.next(
        (e) => e.type === 'exited' && e.sandboxId === own.spec.sandboxId,
        'exited after kill',
      )
      assert.equal(typeof exited.exitCode, 'number')
      assert.notEqual(exited.exitCode, 0)
      assert.deepEqual(
        events.seen.filter((e) => e.sandboxId === foreign.spec.sandboxId),
        [],
      )
      assert.equal((await mine.runtime.inspect(own.spec.sandboxId))?.running, false)
    },
  )

  contract('watch reports exited when the container is removed behind its back', async (t) => {
    const { runtime, started, removeBehindBack } = await setUp(t)
    const events = recordEvents(t, runtime)
    const { spec } = await started()
    await removeBehindBack(spec.sandboxId)
    await events.next(
      (e) => e.type === 'exited' && e.sandboxId === spec.sandboxId,
      'exited after removal',
    )
    assert.equal(await runtime.inspect(spec.sandboxId), undefined)
  })

  runStateContract(contract, setUp)

  contract(
    'commit makes a labelled image of its instance; removeImage is idempotent',
    async (t) => {
      const mine = await setUp(t)
      if (!mine.runtime.capabilities.filesystemCheckpoints) {
        t.skip('this runtime has no filesystem checkpoints (capabilities.filesystemCheckpoints)')
        return
      }
      const theirs = await setUp(t)
      const { runtime } = mine
      const { spec } = await mine.started()
      const image = `wm-contract:${randomBytes(6).toString('hex')}`
      t.after(() => runtime.removeImage(image))
      const before = Date.now()
      await runtime.commit(spec.sandboxId, image, { 'wm.contract': 'saved' })
      const after = Date.now()
      assert.equal(await runtime.imageExists(image), true)
      const listed = await runtime.listImages('wm.contract')
      assert.deepEqual(
        listed.map((entry) => entry.value),
        ['saved'],
      )
      // When it was made, to the second (what tells a leftover from an image being made).
      const made = listed[0]!.createdAt
      assert.ok(made >= before - 1000 && made <= after, `${made} in [${before - 1000}, ${after}]`)
      assert.deepEqual(await theirs.runtime.listImages('wm.contract'), [])
      // An image is found by its name only, never by a prefix of its id.
      const idPrefix = listed[0]!.id.replace(/^sha256:/, '').slice(0, 12)
      assert.equal(await runtime.imageExists(idPrefix), false, idPrefix)
      assert.equal((await runtime.inspect(spec.sandboxId))?.running, true)
      await runtime.removeImage(listed[0]!.id)
      assert.equal(await runtime.imageExists(image), false)
      await runtime.removeImage(image)
      await assert.rejects(
        runtime.commit('sb_never_made', `${image}-not`, {}),
        assertKind('not_found'),
      )
      assert.equal(await runtime.imageExists(`${image}-not`), false)
    },
  )

  contract('ping answers, probe never throws, hostResources tells the host’s size', async (t) => {
    const { runtime } = await setUp(t)
    await runtime.ping()
    await runtime.probe()
    assert.equal(typeof runtime.capabilities.processCheckpoints, 'boolean')
    assert.equal(typeof runtime.capabilities.networkless, 'boolean')
    assert.equal(typeof runtime.capabilities.filesystemCheckpoints, 'boolean')
    const host = await runtime.hostResources()
    assert.ok(Number.isInteger(host.cpus) && host.cpus >= 1, `cpus ${host.cpus}`)
    assert.ok(
      Number.isInteger(host.memoryBytes) && host.memoryBytes > 0,
      `memory ${host.memoryBytes}`,
    )
    assert.deepEqual(await runtime.hostResources(), host)
  })

  contract('with the engine not answering, every call is unavailable', async () => {
    const runtime = await unavailable()
    const kind = assertKind('unavailable')
    await assert.rejects(runtime.ping(), kind)
    await runtime.probe()
    await assert.rejects(runtime.hostResources(), kind)
    await assert.rejects(runtime.imageExists('x:y'), kind)
    await assert.rejects(runtime.inspect('sb_x'), kind)
    await assert.rejects(runtime.listManaged(), kind)
    await assert.rejects(runtime.remove('sb_x', 0), kind)
    await assert.rejects(runtime.stop('sb_x', 0), kind)
    await assert.rejects(runtime.startExisting('sb_x'), kind)
    await assert.rejects(runtime.pause('sb_x'), kind)
    await assert.rejects(runtime.unpause('sb_x'), kind)
    // Without filesystem checkpoints these three never reach the engine (commit refuses, the others
    // have no image to act on).
    if (runtime.capabilities.filesystemCheckpoints) {
      await assert.rejects(runtime.commit('sb_x', 'wm-contract:x', {}), kind)
      await assert.rejects(runtime.removeImage('wm-contract:x'), kind)
      await assert.rejects(runtime.listImages('wm.contract'), kind)
    } else {
      await assert.rejects(runtime.commit('sb_x', 'wm-contract:x', {}), assertKind('invalid'))
      assert.deepEqual(await runtime.listImages('wm.contract'), [])
    }
  })

  contract(
    'checkpointProcesses saves and stops; start resumes from it (when capable)',
    async (t) => {
      const { runtime, started, spec, dir, under } = await setUp(t)
      await runtime.probe()
      if (!runtime.capabilities.processCheckpoints) {
        t.skip('this runtime has no process checkpoints')
        return
      }
      const first = await started()
      const saved = path.join(dir, 'saved')
      await within(under.beforeCheckpoint?.(first.spec) ?? Promise.resolve(), 'readying it')
      await runtime.checkpointProcesses(first.spec.sandboxId, saved)
      assert.notEqual((await runtime.inspect(first.spec.sandboxId))?.running, true)
      assert.ok((await fs.readdir(saved)).length > 0)
      await runtime.remove(first.spec.sandboxId, 0)
      const again = await spec(first.spec.sandboxId, { restoreFrom: saved })
      await under.beforeRestore?.(again)
      await runtime.start(again)
      await within(under.started?.(again) ?? Promise.resolve(), 'the restored container starting')
      assert.equal((await runtime.inspect(again.sandboxId))?.running, true)
    },
  )
}
