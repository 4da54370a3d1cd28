/**
 * What the server concludes from the engine's description of its runsc
 * runtime (`docker info`). The engine's answers are given here; the real
 * engine is exercised by process-checkpoints.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type Docker from 'dockerode'
import pino from 'pino'
import { probeRunsc } from '../src/runtime/docker/process-checkpoints.js'

const log = pino({ level: 'silent' })

function engine(info: Record<string, unknown>): Docker {
  return { info: async () => info } as unknown as Docker
}

test('process checkpoints need runsc with host sockets, an experimental daemon and a writable data root', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-probe-'))
  t.after(() => fs.rm(root, { recursive: true, force: true }))
  await fs.mkdir(path.join(root, 'containers'))
  const good = {
    DockerRootDir: root,
    ExperimentalBuild: true,
    Runtimes: { runsc: { path: '/usr/local/bin/runsc', runtimeArgs: ['--host-uds=create'] } },
  }
  assert.deepEqual(await probeRunsc(engine(good), 'runsc', log), {
    processCheckpoints: true,
    networkless: false,
    rootDir: root,
  })
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no runsc runtime', { ...good, Runtimes: { runc: {} } }],
    ['runsc without --host-uds', { ...good, Runtimes: { runsc: { runtimeArgs: [] } } }],
    ['not experimental', { ...good, ExperimentalBuild: false }],
    ['data root missing', { ...good, DockerRootDir: path.join(root, 'absent') }],
    ['data root unknown', { ...good, DockerRootDir: undefined }],
  ]
  for (const [what, info] of cases) {
    const support = await probeRunsc(engine(info), 'runsc', log)
    assert.equal(support.processCheckpoints, false, what)
    assert.equal(support.rootDir, null, what)
  }
  const withAll = { runsc: { runtimeArgs: ['--host-uds=all', '--network=none'] } }
  const networkless = await probeRunsc(engine({ ...good, Runtimes: withAll }), 'runsc', log)
  assert.deepEqual(networkless, { processCheckpoints: true, networkless: true, rootDir: root })
})
