import type { FastifyBaseLogger } from 'fastify'
import type { DeniedDestination } from '@workspace-manager/protocol'

/** How many refusals are kept per sandbox. */
const RECENT = 20

/** Longest host kept: a Host header or SNI comes from the sandbox, and may be anything. */
const HOST_MAX_LENGTH = 253

/** At most one log line per sandbox per this many ms; the lines in between are counted. */
const LOG_INTERVAL_MS = 1000

interface Entry {
  count: number
  recent: DeniedDestination[]
  loggedAt: number
  unlogged: number
}

/**
 * What the gateway refused, per sandbox: a count and the latest
 * destinations, kept in memory by the server running the gateway, and a
 * log line per refusal (at most one a second per sandbox, saying how many
 * went unlogged).
 */
export class DenialLog {
  readonly #entries = new Map<string, Entry>()
  readonly #log: FastifyBaseLogger
  readonly #now: () => number

  constructor(log: FastifyBaseLogger, now: () => number = Date.now) {
    this.#log = log
    this.#now = now
  }

  /** Records that `sandboxId` was refused `host` (on `port`; null for a name lookup). */
  record(sandboxId: string, asked: string, port: number | null, reason: string): void {
    const now = this.#now()
    const host = asked.slice(0, HOST_MAX_LENGTH)
    const entry = this.#entries.get(sandboxId) ?? { count: 0, recent: [], loggedAt: 0, unlogged: 0 }
    entry.count += 1
    entry.recent.unshift({ host, port, at: new Date(now).toISOString() })
    entry.recent.length = Math.min(entry.recent.length, RECENT)
    this.#entries.set(sandboxId, entry)
    if (now - entry.loggedAt < LOG_INTERVAL_MS) {
      entry.unlogged += 1
      return
    }
    this.#log.info(
      { sandboxId, host, port, reason, unlogged: entry.unlogged },
      'egress refused by the sandbox network policy',
    )
    entry.loggedAt = now
    entry.unlogged = 0
  }

  /** The count and latest refusals of `sandboxId` (none yet: zero). */
  of(sandboxId: string): { count: number; recent: DeniedDestination[] } {
    const entry = this.#entries.get(sandboxId)
    return { count: entry?.count ?? 0, recent: entry ? [...entry.recent] : [] }
  }

  /** Forgets a deleted sandbox. */
  forget(sandboxId: string): void {
    this.#entries.delete(sandboxId)
  }
}
