import type Docker from 'dockerode'
import { LABELS, type RuntimeEvent } from '../types.js'

/**
 * Follows the engine's die and oom events of the containers carrying
 * `labels`, reconnecting a second after the stream ends. Each connection
 * asks for events since the last one seen (at first, since the call), so
 * that an event the engine sent while the stream was being opened, or
 * between two connections, still arrives; one may then arrive twice, which
 * listeners take as they take any repeated exit.
 */
export function watchEngine(
  docker: Docker,
  labels: string[],
  listener: (event: RuntimeEvent) => void,
): () => void {
  let stopped = false
  let current: NodeJS.ReadableStream | undefined
  let sinceMs = Date.now()
  const connect = () => {
    if (stopped) return
    docker
      .getEvents({
        since: sinceMs / 1000,
        filters: { type: ['container'], event: ['die', 'oom'], label: labels },
      })
      .then(
        (stream) => {
          current = stream
          if (stopped) return destroy(stream)
          let buffered = ''
          stream.on('data', (chunk: Buffer) => {
            buffered += chunk.toString('utf8')
            let newline: number
            while ((newline = buffered.indexOf('\n')) !== -1) {
              const line = buffered.slice(0, newline)
              buffered = buffered.slice(newline + 1)
              const parsed = parseEvent(line)
              if (!parsed) continue
              if (parsed.atMs !== null) sinceMs = Math.max(sinceMs, parsed.atMs)
              if (parsed.event) listener(parsed.event)
            }
          })
          stream.on('close', () => setTimeout(connect, 1000).unref())
          stream.on('error', () => undefined)
        },
        () => setTimeout(connect, 1000).unref(),
      )
  }
  connect()
  return () => {
    stopped = true
    if (current) destroy(current)
  }
}

function destroy(stream: NodeJS.ReadableStream): void {
  ;(stream as unknown as { destroy?: () => void }).destroy?.()
}

/** One line of the engine's event stream: the event, if it is one of ours, and when it happened. */
function parseEvent(
  line: string,
): { event: RuntimeEvent | undefined; atMs: number | null } | undefined {
  try {
    const raw = JSON.parse(line) as {
      Action?: string
      timeNano?: number
      Actor?: { Attributes?: Record<string, string> }
    }
    // Milliseconds are precise enough: an event repeated at a reconnect is harmless.
    const atMs = typeof raw.timeNano === 'number' ? Math.floor(raw.timeNano / 1e6) : null
    const sandboxId = raw.Actor?.Attributes?.[LABELS.sandbox]
    if (!sandboxId) return { event: undefined, atMs }
    if (raw.Action === 'oom') return { event: { type: 'oom', sandboxId, exitCode: null }, atMs }
    if (raw.Action === 'die') {
      const exitCode = Number(raw.Actor?.Attributes?.exitCode ?? NaN)
      const event: RuntimeEvent = {
        type: 'exited',
        sandboxId,
        exitCode: Number.isNaN(exitCode) ? null : exitCode,
      }
      return { event, atMs }
    }
    return { event: undefined, atMs }
  } catch {
    // A partial or foreign line: ignore it.
    return undefined
  }
}
