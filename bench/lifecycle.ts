import type Docker from 'dockerode'
import { timeRuns } from './stats.js'
import type { BenchTable } from './table.js'
import { dockerExec } from './raw.js'

/** What the lifecycle rows need from the benchmark that runs them. */
export interface LifecycleBench {
  /** A request to our server (keep-alive), answered with status and body. */
  request: (
    method: string,
    route: string,
    body?: unknown,
  ) => Promise<{ status: number; text: string }>
  /** The workspace the sandbox is made in. */
  workspaceId: string
  /** A created, not started, container of our sandboxes' configuration with `sleep` as its process. */
  rawContainer: (name: string) => Promise<Docker.Container>
  /** Timed runs of the pause/resume rows and of the stop/start row. */
  resumeRuns: number
  startRuns: number
  /** Where the rows are recorded. */
  table: BenchTable
}

/**
 * Pause/resume and stop/start, ours beside the engine's own operation on a
 * container of the same configuration:
 *   1. resume of a paused sandbox (POST resume) vs dockerode unpause;
 *   2. resume until a command runs (POST resume, then run `true` through the
 *      agent) vs dockerode unpause + exec `true`;
 *   3. auto-resume: one process run of `true` on a paused sandbox with
 *      auto_resume vs dockerode unpause + exec `true`;
 *   4. start of a stopped sandbox until its agent answers (POST start) vs
 *      dockerode start until the container runs.
 * Pausing and stopping happen between timed runs, untimed.
 */
export async function lifecycleRows(bench: LifecycleBench): Promise<void> {
  const { request } = bench
  const call = async (route: string, body?: unknown, want = 'running') => {
    const reply = await request('POST', route, body)
    if (reply.status !== 200 || !reply.text.includes(`"state":"${want}"`))
      throw new Error(`${route}: ${reply.status} ${reply.text}`)
  }
  const created = await request('POST', '/v1/sandboxes', {
    workspace_id: bench.workspaceId,
    auto_resume: true,
  })
  const id = JSON.parse(created.text).id as string
  const runTrue = async () => {
    const reply = await request('POST', `/v1/sandboxes/${id}/processes`, { cmd: 'true' })
    if (reply.status !== 200 || !reply.text.includes('"exit_code":0')) throw new Error(reply.text)
  }
  const pause = () => call(`/v1/sandboxes/${id}/pause`, undefined, 'paused')
  const resume = () => call(`/v1/sandboxes/${id}/resume`)
  const raw = await bench.rawContainer(`wm-bench-raw-lifecycle-${process.pid}`)
  try {
    await raw.start()
    const rawPause = () => raw.pause()
    const rawUnpause = () => raw.unpause()
    const rawUnpauseExec = async () => {
      await raw.unpause()
      // The engine records the thaw after answering the unpause: an exec right behind it
      // can still be refused (409, "is paused"), and is then asked again, as a client must.
      for (let attempt = 1; ; attempt++) {
        try {
          return await dockerExec(raw, ['true'])
        } catch (error) {
          const refused = (error as { statusCode?: number }).statusCode === 409
          if (!refused || attempt >= 50) throw error
        }
      }
    }
    type Step = () => Promise<void>
    /** Times our step and then the engine's, each undone (untimed) before every run, and records both. */
    const compare = async (
      title: string,
      [runs, warmup]: [number, number],
      [ourStep, ourUndo]: [Step, Step],
      [engineLabel, engineStep, engineUndo]: [string, Step, Step],
    ) => {
      const ours = await timeRuns(runs, warmup, ourStep, ourUndo)
      const engine = await timeRuns(runs, warmup, engineStep, engineUndo)
      bench.table.latency(title, ours, engine, engineLabel)
    }
    const resumeRows: [number, number] = [bench.resumeRuns, 5]
    const unpauseExec = 'dockerode unpause + exec true'

    await compare(
      'resume a paused sandbox (ours: POST resume, answered running)',
      resumeRows,
      [resume, pause],
      ['dockerode unpause', rawUnpause, rawPause],
    )
    await compare(
      'resume until a command runs (ours: POST resume + run `true` via the agent)',
      resumeRows,
      [
        async () => {
          await resume()
          await runTrue()
        },
        pause,
      ],
      [unpauseExec, rawUnpauseExec, rawPause],
    )
    await compare(
      'auto-resume: run `true` on a paused sandbox (ours: one request, auto_resume)',
      resumeRows,
      [runTrue, pause],
      [unpauseExec, rawUnpauseExec, rawPause],
    )
    // SIGKILL at once: `sleep` as PID 1 ignores SIGTERM, and the stop is not timed anyway.
    await compare(
      'start a stopped sandbox (ours: POST start, until the agent answers)',
      [bench.startRuns, 2],
      [
        () => call(`/v1/sandboxes/${id}/start`),
        () => call(`/v1/sandboxes/${id}/stop`, undefined, 'stopped'),
      ],
      ['dockerode start (same config)', () => raw.start(), () => raw.stop({ t: 0 })],
    )
  } finally {
    await raw.remove({ force: true }).catch(() => undefined)
    await request('DELETE', `/v1/sandboxes/${id}?force=true`)
  }
}
