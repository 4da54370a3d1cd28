import { Writable } from 'node:stream'
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node'
import { SANDBOX_CONTAINER } from './objects.js'

/** What a command run in a sandbox container said. */
export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Collects a stream's text, up to `limit` bytes (a runaway command cannot fill the server's memory). */
function collector(limit = 64 * 1024) {
  const chunks: Buffer[] = []
  let size = 0
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size))
      size += chunk.length
      done()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

/** The exit code in an exec's final Status: 0 on Success, the `ExitCode` cause otherwise. */
export function execExitCode(status: V1Status | undefined): number {
  if (!status || status.status === 'Success') return 0
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  const code = Number(cause?.message)
  return Number.isInteger(code) ? code : -1
}

/**
 * Runs `command` in the sandbox container of pod `podName` through the
 * API's exec (a websocket), without a TTY or stdin, and resolves when it
 * ends. Rejects as the API refused it (404: no such pod) or when it does not
 * end within `timeoutMs`.
 */
export async function execInPod(
  kc: KubeConfig,
  namespace: string,
  podName: string,
  command: string[],
  timeoutMs = 30_000,
): Promise<ExecResult> {
  const stdout = collector()
  const stderr = collector()
  let status: V1Status | undefined
  const socket = await new Exec(kc).exec(
    namespace,
    podName,
    SANDBOX_CONTAINER,
    command,
    stdout.stream,
    stderr.stream,
    null,
    false,
    (final) => {
      status = final
    },
  )
  await new Promise<void>((resolve, reject) => {
    if (socket.readyState === socket.CLOSED) return resolve()
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`${command.join(' ')} did not end within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.on('error', (error: Error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
  return { exitCode: execExitCode(status), stdout: stdout.text(), stderr: stderr.text() }
}
