/** The handle of `client.process.start`: a process event stream pumped into callbacks and a result. */
import { ErrorCodes } from '@workspace-manager/protocol'
import { clientError, sdkError } from '../errors.js'
import type {
  CommandResult,
  ProcessEvent,
  ProcessHandle,
  SendStdinOptions,
} from '../process-types.js'
import type { UploadContent } from '../request-body.js'

/** Each stream is kept up to this many characters for `wait()`, like the server's `run`. */
const KEPT_CHARS = 16 * 1024 * 1024

/** What the handle needs from the service. */
export interface HandleHooks {
  onStdout?: ((data: string) => void) | undefined
  onStderr?: ((data: string) => void) | undefined
  kill(pid: number, signal: number): Promise<void>
  sendStdin(pid: number, data: UploadContent, options?: SendStdinOptions): Promise<void>
}

/** Output kept for the result, up to {@link KEPT_CHARS} per stream; `truncated` if any was lost. */
class KeptOutput {
  stdout = ''
  stderr = ''
  truncated = false

  add(stream: 'stdout' | 'stderr', data: string): void {
    const room = KEPT_CHARS - this[stream].length
    if (data.length > room) this.truncated = true
    this[stream] += data.slice(0, Math.max(0, room))
  }
}

/**
 * Reads the stream up to its `start` event, then keeps pumping it in the
 * background. An `error` event before `start` (the command could not start:
 * not found, not executable, no such cwd) rejects with code 1001; one after
 * it (the server lost the agent) makes `wait()` reject with code 3003. Both
 * have `status` 0: they arrive inside a successful reply.
 */
export async function startProcess(
  events: AsyncGenerator<ProcessEvent, void, undefined>,
  controller: AbortController,
  hooks: HandleHooks,
): Promise<ProcessHandle> {
  const first = await events.next()
  const event = first.done ? undefined : first.value
  if (event?.type !== 'start') {
    await events.return()
    if (event?.type === 'error') {
      throw sdkError({ code: ErrorCodes.VALIDATION.code, status: 0, message: event.message })
    }
    throw clientError('invalid-response', 'the process event stream did not begin with start')
  }
  const pid = event.pid
  const finished = follow(events, pid, hooks)
  // wait() may never be called; the failure still surfaces there if it is.
  finished.catch(() => undefined)
  return {
    pid,
    wait: () => finished,
    kill: (signal = 15) => hooks.kill(pid, signal),
    sendStdin: (data, options) => hooks.sendStdin(pid, data, options),
    disconnect: () => controller.abort(new Error('disconnected')),
  }
}

async function follow(
  events: AsyncGenerator<ProcessEvent, void, undefined>,
  pid: number,
  hooks: HandleHooks,
): Promise<CommandResult> {
  const kept = new KeptOutput()
  for await (const event of events) {
    // The server's buffer overflowed before we read it: the kept output has a gap.
    if (event.dropped) kept.truncated = true
    if (event.type === 'stdout' || event.type === 'stderr') {
      kept.add(event.type, event.data)
      ;(event.type === 'stdout' ? hooks.onStdout : hooks.onStderr)?.(event.data)
    } else if (event.type === 'exit') {
      const { stdout, stderr, truncated } = kept
      const result = { pid, exitCode: event.code, stdout, stderr, truncated }
      if (!event.timedOut) return result
      throw sdkError({
        code: ErrorCodes.PROCESS_TIMED_OUT.code,
        status: 0,
        message: `process ${pid} did not finish within its timeout and was killed`,
        details: { pid, exit_code: event.code, stdout, stderr },
      })
    } else if (event.type === 'error') {
      throw sdkError({
        code: ErrorCodes.AGENT_NOT_CONNECTED.code,
        status: 0,
        message: event.message,
        details: { pid },
      })
    }
  }
  throw clientError('invalid-response', `the event stream of process ${pid} ended without exit`)
}
