import type { IncomingMessage, ServerResponse } from 'node:http'

/** Trailer names of a raw output response, as the agent sends them. */
const EXIT_CODE = 'x-exit-code'
const TIMED_OUT = 'x-timed-out'

/**
 * Writes the head of a raw output response: the process's stdout bytes as
 * they come (chunked), its exit in trailers once it has ended.
 */
export function startRawOutput(raw: ServerResponse, requestId: string, pid: number): void {
  raw.writeHead(200, {
    'content-type': 'application/octet-stream',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
    'x-pid': String(pid),
    // Stderr is not in this body; it is in the process's events (GET .../output).
    'x-stderr': 'events',
    trailer: `${EXIT_CODE}, ${TIMED_OUT}`,
  })
  // Now, not with the first output: a command that waits for its stdin prints nothing until
  // the client, which needs the pid from this head to send it, has sent some.
  raw.flushHeaders()
}

/**
 * Relays the agent's raw stdout response to the client as it is: piped,
 * honouring back-pressure both ways, with no per-chunk work. When the agent
 * ends with its exit trailers they are passed on; when the agent's stream
 * breaks, the response is cut off (no final chunk), so a client cannot take
 * it for a complete output. When the client goes away the agent's response
 * is dropped, which makes the agent kill the process.
 */
export function relayRawOutput(stdout: IncomingMessage, raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      stdout.destroy()
      resolve()
    }
    raw.on('close', finish)
    stdout.on('end', () => {
      const code = stdout.trailers[EXIT_CODE]
      if (code === undefined) {
        raw.destroy()
        return
      }
      raw.addTrailers({ [EXIT_CODE]: code, [TIMED_OUT]: stdout.trailers[TIMED_OUT] ?? 'false' })
      raw.end()
    })
    stdout.on('error', () => raw.destroy())
    stdout.on('aborted', () => raw.destroy())
    stdout.pipe(raw, { end: false })
  })
}
