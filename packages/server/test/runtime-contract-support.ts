import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
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
export const DEADLINE_MS = 60_000
export const TIMEOUT = { timeout: 180_000 }

/** Rejects unless `promise` settles within the deadline. */
export async function within<T>(promise: Promise<T>, what: string): Promise<T> {
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
export function recordEvents(t: TestContext, runtime: SandboxRuntime) {
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

export function assertKind(kind: RuntimeErrorKind) {
  return (error: unknown) => {
    assert.ok(error instanceof RuntimeError, `a RuntimeError, not ${String(error)}`)
    assert.equal(error.kind, kind, error.message)
    return true
  }
}

/** A runtime of `make` on a fresh instance, cleaned up (with its temp dirs) after the test. */
export async function setUpRuntime(make: MakeRuntime, t: TestContext) {
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

/** A runtime under the contract with the helpers its tests use. */
export type ContractSetUp = (t: TestContext) => ReturnType<typeof setUpRuntime>

/** Declares one test of the contract, named for the runtime under test. */
export type Contract = (title: string, body: (t: TestContext) => Promise<void>) => void
