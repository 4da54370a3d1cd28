import fs from 'node:fs/promises'
import path from 'node:path'
import assert from 'node:assert/strict'
import {
  assertKind,
  within,
  type Contract,
  type ContractSetUp,
} from './runtime-contract-support.js'

/** The contract's pause, unpause, stop and startExisting tests (see runRuntimeContract). */
export function runStateContract(contract: Contract, setUp: ContractSetUp): void {
  contract('pause freezes and unpause thaws; unpausing what is not paused leaves it', async (t) => {
    const { runtime, started, isPaused } = await setUp(t)
    const { spec } = await started()
    await runtime.pause(spec.sandboxId)
    assert.equal(await isPaused(spec.sandboxId), true)
    // Paused is still running: the sandbox's processes are all there.
    assert.equal((await runtime.inspect(spec.sandboxId))?.running, true)
    assert.equal((await runtime.listManaged())[0]?.running, true)
    await runtime.unpause(spec.sandboxId)
    assert.equal(await isPaused(spec.sandboxId), false)
    await runtime.unpause(spec.sandboxId)
    assert.equal(await isPaused(spec.sandboxId), false)
    assert.equal((await runtime.inspect(spec.sandboxId))?.running, true)
    await runtime.unpause('sb_never_made')
    await assert.rejects(runtime.pause('sb_never_made'), assertKind('not_found'))
  })

  contract('stop keeps the container; startExisting runs the same one again', async (t) => {
    const { runtime, started, under } = await setUp(t)
    const { spec, containerId } = await started()
    await runtime.stop(spec.sandboxId, 1)
    const stopped = await runtime.inspect(spec.sandboxId)
    assert.deepEqual([stopped?.containerId, stopped?.running], [containerId, false])
    assert.deepEqual(
      (await runtime.listManaged()).map((c) => [c.containerId, c.running]),
      [[containerId, false]],
    )
    await runtime.stop(spec.sandboxId, 1)
    // What runs writes its ready file again: the old one must not count.
    await fs.rm(path.join(spec.runHostDir, 'ready'), { force: true })
    await runtime.startExisting(spec.sandboxId)
    await within(under.started?.(spec) ?? Promise.resolve(), 'the container starting again')
    const again = await runtime.inspect(spec.sandboxId)
    assert.deepEqual([again?.containerId, again?.running], [containerId, true])
    await runtime.startExisting(spec.sandboxId)
    assert.equal((await runtime.inspect(spec.sandboxId))?.running, true)
    await assert.rejects(runtime.stop('sb_never_made', 0), assertKind('not_found'))
    await assert.rejects(runtime.startExisting('sb_never_made'), assertKind('not_found'))
  })

  contract('stop of a paused container thaws and stops it', async (t) => {
    const { runtime, started, isPaused } = await setUp(t)
    const { spec } = await started()
    await runtime.pause(spec.sandboxId)
    await runtime.stop(spec.sandboxId, 1)
    assert.equal((await runtime.inspect(spec.sandboxId))?.running, false)
    assert.equal(await isPaused(spec.sandboxId), false)
  })

  contract('stop and startExisting see only their own instance’s containers', async (t) => {
    const mine = await setUp(t)
    const theirs = await setUp(t)
    const foreign = await theirs.started()
    await assert.rejects(mine.runtime.stop(foreign.spec.sandboxId, 0), assertKind('not_found'))
    assert.equal((await theirs.runtime.inspect(foreign.spec.sandboxId))?.running, true)
  })
}
