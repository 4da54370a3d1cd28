import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { RuntimeError, type RuntimeErrorKind } from '../src/runtime/errors.js'
import type { RuntimeEvent, SandboxRuntime, SandboxSpec } from '../src/runtime/types.js'

/** One runtime under test, with the outside view a test needs to check it. */
export interface RuntimeUnderTest {
  runtime: SandboxRuntime
  /** An image the engine has (a template). */
  image: string
  /** Name of the container of `sandboxId`, as the runtime names it. */
  containerName(sandboxId: string): string
  /** Ends the container's main process without the runtime (a crash, `docker kill`). */
  kill(sandboxId: string): Promise<void>
  /** Removes the container without the runtime (`docker rm -f`). */
  removeBehindBack(sandboxId: string): Promise<void>
  /** Whether the engine holds the container paused. */
  isPaused(sandboxId: string): Promise<boolean>
  /** Host path of an agent binary for specs (the real agent where something runs). */
  agentBinary: string
  /** Resolves once what runs in a started container is up (the agent's ready file), if anything runs. */
  started?(spec: SandboxSpec): Promise<void>
  /** Readies what runs for `checkpointProcesses` (the agent lets go of its host socket). */
  beforeCheckpoint?(spec: SandboxSpec): Promise<void>
  /** Readies the run directory of a container that `start` resumes from saved processes. */
  beforeRestore?(spec: SandboxSpec): Promise<void>
  /** Removes whatever the runtime's instance left on the engine. */
  cleanup(): Promise<void>
}

/** Makes the runtime of one instance; instances of one factory share an engine. */
export type MakeRuntime = (instanceId: string) => Promise<RuntimeUnderTest>

/** A runtime whose engine does not answer. */
export type MakeUnavailable = () => Promise<SandboxRuntime>

/** Long enough for a loaded machine to start a container; every wait below is bounded by it. */
const DEADLINE_MS = 60_000
const TIMEOUT = { timeout: 180_000 }

/** Rejects unless `promise` settles within the deadline. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: nothing within ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    )
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** Events of a watch, kept in order, with a way to await the next matching one. */
function recordEvents(t: TestContext, runtime: SandboxRuntime) {
  const seen: RuntimeEvent[] = []
  const waiters: Array<{
    match: (e: RuntimeEvent) => boolean
    resolve: (e: RuntimeEvent) => void
  }> = []
  const stop = runtime.watch((event) => {
    seen.push(event)
    for (const waiter of [...waiters]) {
      if (!waiter.match(event)) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(event)
    }
  })
  t.after(stop)
  return {
    seen,
    next(match: (e: RuntimeEvent) => boolean, what: string): Promise<RuntimeEvent> {
      const already = seen.find(match)
      if (already) return Promise.resolve(already)
      return within(new Promise((resolve) => waiters.push({ match, resolve })), what)
    },
  }
}

function assertKind(kind: RuntimeErrorKind) {
  return (error: unknown) => {
    assert.ok(error instanceof RuntimeError, `a RuntimeError, not ${String(error)}`)
    assert.equal(error.kind, kind, error.message)
    return true
  }
}

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
  /** A runtime on a fresh instance, cleaned up (with its temp dirs) after the test. */
  async function setUp(t: TestContext) {
    const under = await make(`contract-${randomBytes(6).toString('hex')}`)
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-runtime-contract-'))
    t.after(async () => {
      await under.cleanup()
      await fs.rm(dir, { recursive: true, force: true })
    })
    let made = 0
    const spec = async (
      sandboxId = `sb_${randomBytes(6).toString('hex')}`,
      extra: Partial<SandboxSpec> = {},
    ): Promise<SandboxSpec> => {
      const base = path.join(dir, String(made++))
      await fs.mkdir(path.join(base, 'workspace'), { recursive: true })
      await fs.mkdir(path.join(base, 'run'), { recursive: true, mode: 0o700 })
      return {
        sandboxId,
        workspaceId: 'ws_contract',
        containerName: under.containerName(sandboxId),
        image: under.image,
        env: { CONTRACT: '1' },
        nanoCpus: 1e9,
        memoryBytes: 256 * 1024 ** 2,
        pidsLimit: 128,
        networkMode: 'none',
        workspaceHostDir: path.join(base, 'workspace'),
        containerWorkspaceDir: '/workspace',
        agentBinaryHostPath: under.agentBinary,
        runHostDir: path.join(base, 'run'),
        agentToken: randomBytes(16).toString('hex'),
        ...extra,
      }
    }
    /** Starts a container from a fresh spec and waits until what it runs is up. */
    const started = async (sandboxId?: string) => {
      const made = await spec(sandboxId)
      const { containerId } = await under.runtime.start(made)
      await within(under.started?.(made) ?? Promise.resolve(), 'the container starting')
      return { spec: made, containerId }
    }
    return {
      ...under,
      under,
      spec,
      started,
      dir,
      kill: (sandboxId: string) => within(under.kill(sandboxId), 'killing the container'),
      removeBehindBack: (sandboxId: string) =>
        within(under.removeBehindBack(sandboxId), 'removing the container'),
    }
  }

  const contract = (title: string, body: (t: TestContext) => Promise<void>) =>
    test(`${name}: ${title}`, TIMEOUT, body)

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

  contract(
    'commit makes a labelled image of its instance; removeImage is idempotent',
    async (t) => {
      const mine = await setUp(t)
      const theirs = await setUp(t)
      const { runtime } = mine
      const { spec } = await mine.started()
      const image = `wm-contract:${randomBytes(6).toString('hex')}`
      t.after(() => runtime.removeImage(image))
      await runtime.commit(spec.sandboxId, image, { 'wm.contract': 'saved' })
      assert.equal(await runtime.imageExists(image), true)
      const listed = await runtime.listImages('wm.contract')
      assert.deepEqual(
        listed.map((entry) => entry.value),
        ['saved'],
      )
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
    await assert.rejects(runtime.commit('sb_x', 'wm-contract:x', {}), kind)
    await assert.rejects(runtime.removeImage('wm-contract:x'), kind)
    await assert.rejects(runtime.listImages('wm.contract'), kind)
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
