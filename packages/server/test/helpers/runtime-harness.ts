import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { loadConfig } from '../../src/config/index.js'
import { connectDocker } from '../../src/runtime/docker/connection.js'
import { DockerRuntime, INSTANCE_LABEL } from '../../src/runtime/docker/runtime.js'
import { AgentClient } from '../../src/agent/client.js'
import { RUN_FILES, waitForAgentReady, waitForRunFile } from '../../src/services/agent-ready.js'
import type { SandboxRuntime } from '../../src/runtime/types.js'
import type { RuntimeUnderTest } from '../runtime-contract.js'
import { FakeEngine, FakeRuntime } from './fake-runtime.js'
import { TEST_TEMPLATE, docker } from './sandbox.js'

const PREFIX = 'wm_contract_'

/** The agent binary the server would mount (WM_AGENT_BINARY's default). */
function agentBinary(): string {
  return loadConfig({ WM_DATA_DIR: os.tmpdir() }).agent.binaryPath
}

/**
 * The Docker runtime of `instanceId` on the local engine, running the real
 * agent in the test template; `outside` acts on the engine directly.
 */
export function dockerFactory(ociRuntime: string | null = null) {
  return (instanceId: string) => dockerUnderTest(instanceId, ociRuntime)
}

async function dockerUnderTest(
  instanceId: string,
  ociRuntime: string | null,
): Promise<RuntimeUnderTest> {
  const runtime = new DockerRuntime({
    docker,
    instanceId,
    containerPrefix: PREFIX,
    platform: null,
    ociRuntime,
    log: pino({ level: 'silent' }),
  })
  const container = (sandboxId: string) => docker.getContainer(`${PREFIX}${sandboxId}`)
  const ours = { label: [`${INSTANCE_LABEL}=${instanceId}`] }
  return {
    runtime,
    image: TEST_TEMPLATE,
    agentBinary: agentBinary(),
    containerName: (sandboxId) => `${PREFIX}${sandboxId}`,
    async kill(sandboxId) {
      await container(sandboxId).kill()
      // The engine answers the kill before it has recorded the exit.
      await container(sandboxId).wait({ condition: 'not-running' })
    },
    async removeBehindBack(sandboxId) {
      await container(sandboxId).remove({ force: true })
    },
    async isPaused(sandboxId) {
      return (await container(sandboxId).inspect()).State.Paused
    },
    async started(spec) {
      await waitForAgentReady(spec.runHostDir, 60_000, async () =>
        (await runtime.inspect(spec.sandboxId))?.running ? null : 'the container is not running',
      )
    },
    async beforeCheckpoint(spec) {
      // runsc cannot save a host socket: the agent closes its own and says so (as the server has it).
      const agent = new AgentClient(
        spec.sandboxId,
        await runtime.agentEndpoint(spec.sandboxId, spec.runHostDir),
        spec.agentToken,
      )
      try {
        await agent.json({ method: 'POST', path: '/v1/detach', timeoutMs: 10_000 })
      } finally {
        agent.close()
      }
      await waitForRunFile(spec.runHostDir, RUN_FILES.detached, 60_000, async () => null)
    },
    async beforeRestore(spec) {
      // The restored agent takes its socket again once told to.
      await fs.writeFile(path.join(spec.runHostDir, RUN_FILES.resume), '')
    },
    async cleanup() {
      for (const left of await docker.listContainers({ all: true, filters: ours })) {
        await docker
          .getContainer(left.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined)
      }
      for (const left of await docker.listImages({ filters: ours })) {
        await docker
          .getImage(left.Id)
          .remove({ force: true })
          .catch(() => undefined)
      }
    },
  }
}

/** A Docker runtime whose engine socket does not exist. */
export async function dockerUnavailable(): Promise<SandboxRuntime> {
  return new DockerRuntime({
    docker: connectDocker({ host: 'unix:///nonexistent/wm-contract.sock', timeoutSeconds: 5 }),
    instanceId: 'contract-unavailable',
    containerPrefix: PREFIX,
    platform: null,
    ociRuntime: null,
    log: pino({ level: 'silent' }),
  })
}

/**
 * Fake runtimes, one engine for all instances a factory makes (as Docker's
 * are), holding the test template; `capabilities` for every one of them.
 */
export function fakeFactory(capabilities: { processCheckpoints?: boolean } = {}) {
  const engine = new FakeEngine({ images: [TEST_TEMPLATE] })
  return async (instanceId: string): Promise<RuntimeUnderTest> => {
    const runtime = new FakeRuntime({ engine, instanceId, containerPrefix: PREFIX, capabilities })
    return {
      runtime,
      image: TEST_TEMPLATE,
      agentBinary: '/nonexistent/wm-agent',
      containerName: (sandboxId) => `${PREFIX}${sandboxId}`,
      kill: async (sandboxId) => runtime.kill(sandboxId),
      removeBehindBack: async (sandboxId) => runtime.removeBehindBack(sandboxId),
      isPaused: async (sandboxId) => runtime.isPaused(sandboxId),
      async cleanup() {
        for (const left of await runtime.listManaged()) await runtime.remove(left.sandboxId, 0)
        for (const left of await runtime.listImages(INSTANCE_LABEL))
          await runtime.removeImage(left.id)
      },
    }
  }
}

/** A fake runtime whose engine does not answer. */
export async function fakeUnavailable(): Promise<SandboxRuntime> {
  const engine = new FakeEngine({ images: [TEST_TEMPLATE] })
  engine.available = false
  return new FakeRuntime({ engine })
}
