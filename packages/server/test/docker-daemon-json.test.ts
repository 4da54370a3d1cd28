/**
 * scripts/docker-daemon-json.sh: the engine configuration the bootstrap
 * writes (live-restore, gVisor when installed, the btrfs data root when
 * given), written over its own file
 * only, on real files in a temporary directory.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const SCRIPT = fileURLToPath(new URL('../../../scripts/docker-daemon-json.sh', import.meta.url))

/** Runs the script on `file`; what it printed (one word) and logged. */
async function configure(file: string, runsc: string, dataRoot = '') {
  const { stdout, stderr } = await promisify(execFile)('bash', [SCRIPT, file, runsc, dataRoot])
  return { outcome: stdout.trim(), log: stderr }
}

async function scratch(t: { after(fn: () => Promise<void>): void }) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-daemon-json-'))
  t.after(() => fs.rm(dir, { recursive: true, force: true }))
  const runsc = path.join(dir, 'runsc')
  await fs.writeFile(runsc, '#!/bin/sh\n', { mode: 0o755 })
  return { file: path.join(dir, 'docker', 'daemon.json'), runsc, absent: path.join(dir, 'none') }
}

const read = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8')) as unknown

test('no daemon.json: live-restore, plus runsc with the experimental mode when installed', async (t) => {
  const { file, runsc, absent } = await scratch(t)
  assert.equal((await configure(file, absent)).outcome, 'written')
  assert.deepEqual(await read(file), { 'live-restore': true })
  assert.equal((await configure(file, absent)).outcome, 'unchanged')

  // runsc installed later: the file is ours, so it gains the runtime.
  assert.equal((await configure(file, runsc)).outcome, 'written')
  assert.deepEqual(await read(file), {
    'live-restore': true,
    experimental: true,
    runtimes: { runsc: { path: runsc, runtimeArgs: ['--host-uds=create', '--overlay2=none'] } },
  })
  assert.equal((await configure(file, runsc)).outcome, 'unchanged')
})

test('a data root adds the btrfs driver; dropping it goes back, both still ours', async (t) => {
  const { file, runsc, absent } = await scratch(t)
  assert.equal((await configure(file, absent, '/var/lib/wm-engine/docker')).outcome, 'written')
  assert.deepEqual(await read(file), {
    'data-root': '/var/lib/wm-engine/docker',
    'storage-driver': 'btrfs',
    'live-restore': true,
  })
  assert.equal((await configure(file, absent, '/var/lib/wm-engine/docker')).outcome, 'unchanged')
  // A running engine elsewhere: the file follows it rather than moving it at its next start.
  assert.equal((await configure(file, absent)).outcome, 'written')
  assert.deepEqual(await read(file), { 'live-restore': true })
  assert.equal((await configure(file, runsc, '/srv/engine')).outcome, 'written')
  const now = (await read(file)) as Record<string, unknown>
  assert.equal(now['data-root'], '/srv/engine')
  assert.equal(now['storage-driver'], 'btrfs')
  assert.equal(now.experimental, true)
})

test('the file an earlier version wrote for runsc gains live-restore', async (t) => {
  const { file, runsc } = await scratch(t)
  await fs.mkdir(path.dirname(file))
  const earlier = `{\n  "experimental": true,\n  "runtimes": {\n    "runsc": {\n      "path": "${runsc}",\n      "runtimeArgs": ["--host-uds=create", "--overlay2=none"]\n    }\n  }\n}\n`
  await fs.writeFile(file, earlier)
  assert.equal((await configure(file, runsc)).outcome, 'written')
  const now = (await read(file)) as Record<string, unknown>
  assert.equal(now['live-restore'], true)
  assert.deepEqual(now.runtimes, JSON.parse(earlier).runtimes)
})

test("someone else's daemon.json is left alone, with a warning for what it lacks", async (t) => {
  const { file, runsc } = await scratch(t)
  await fs.mkdir(path.dirname(file))
  const theirs = '{ "debug": true }\n'
  await fs.writeFile(file, theirs)
  const bare = await configure(file, runsc)
  assert.equal(bare.outcome, 'foreign')
  assert.equal(await fs.readFile(file, 'utf8'), theirs)
  assert.match(bare.log, /not ours and registers no runsc/)
  assert.match(bare.log, /does not set "live-restore": true/)

  const complete = '{"live-restore": true, "runtimes": {"runsc": {"path": "/opt/runsc"}}}\n'
  await fs.writeFile(file, complete)
  const quiet = await configure(file, runsc)
  assert.equal(quiet.outcome, 'foreign')
  assert.equal(quiet.log, '')
  assert.equal(await fs.readFile(file, 'utf8'), complete)
})
