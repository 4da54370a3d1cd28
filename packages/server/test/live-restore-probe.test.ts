/**
 * What the server concludes from the engine's live-restore setting (`docker
 * info`), and the start-up warning when it is off. The engine's answers are
 * given here: whether the engine this machine runs has it is up to its
 * daemon.json (scripts/ensure-docker.sh), not to the server.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import type Docker from 'dockerode'
import pino from 'pino'
import { probeLiveRestore } from '../src/runtime/docker/live-restore.js'
import { DockerRuntime } from '../src/runtime/docker/runtime.js'

function engine(info: Record<string, unknown>): Docker {
  return { info: async () => info } as unknown as Docker
}

/** A logger that keeps what it writes at warn level and above. */
function recordingLog() {
  const lines: Array<{ level: number; msg: string }> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string })
      done()
    },
  })
  return { log: pino({ level: 'warn' }, sink), lines }
}

test('live-restore on: true, and nothing to warn about', async () => {
  const { log, lines } = recordingLog()
  assert.equal(await probeLiveRestore(engine({ LiveRestoreEnabled: true }), log), true)
  assert.deepEqual(lines, [])
})

test('live-restore off or unknown: false, with a warning that says what to do', async () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['off', { LiveRestoreEnabled: false }, /without live-restore.*"live-restore": true.*SIGHUP/],
    ['not said', {}, /does not say whether it has live-restore/],
    ['not a boolean', { LiveRestoreEnabled: 'true' }, /does not say/],
  ]
  for (const [what, info, words] of cases) {
    const { log, lines } = recordingLog()
    assert.equal(await probeLiveRestore(engine(info), log), false, what)
    assert.equal(lines.length, 1, what)
    assert.equal(lines[0]?.level, 40, what) // warn
    assert.match(lines[0]?.msg ?? '', words, what)
  }
})

test('the Docker runtime probes it at start-up and keeps what it found', async () => {
  const { log, lines } = recordingLog()
  const runtime = (info: Record<string, unknown> | Error) =>
    new DockerRuntime({
      docker: {
        info: async () => {
          if (info instanceof Error) throw info
          return info
        },
      } as unknown as Docker,
      instanceId: 'probe-test',
      containerPrefix: 'wm-probe-test-',
      platform: null,
      ociRuntime: null,
      log,
    })
  const on = runtime({ LiveRestoreEnabled: true })
  assert.equal(on.liveRestore, null)
  await on.probe()
  assert.equal(on.liveRestore, true)
  const off = runtime({ LiveRestoreEnabled: false })
  await off.probe()
  assert.equal(off.liveRestore, false)
  assert.match(lines.at(-1)?.msg ?? '', /without live-restore/)
  const unreachable = runtime(new Error('connect ENOENT /var/run/docker.sock'))
  await unreachable.probe() // never throws: what it cannot tell stays unknown
  assert.equal(unreachable.liveRestore, null)
  assert.match(lines.at(-1)?.msg ?? '', /could not ask the engine whether it has live-restore/)
})
