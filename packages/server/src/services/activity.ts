import type { FastifyInstance } from 'fastify'

/**
 * When each sandbox was last used, kept in memory (not in the store: it
 * changes on every call, and losing it on a restart only restarts the idle
 * clock). Activity is an API call naming the sandbox, a keep-alive, or an
 * open connection about it: a call or stream in progress (an SSE process
 * stream, an attached PTY WebSocket, a proxied connection) makes the sandbox
 * busy, and it is never idle while busy.
 */
export class ActivityTracker {
  readonly #last = new Map<string, number>()
  readonly #open = new Map<string, number>()
  /** Ids touched here since the last `drain` (what other servers have not been told yet). */
  readonly #unshared = new Set<string>()
  /** Activity older than this is unknown (kept in memory only): the idle clock starts here. */
  readonly #since: number
  readonly #clock: () => number

  /** `clock` tells the time of activity (tests give their own); `now` starts the idle clock. */
  constructor(now?: number, clock: () => number = Date.now) {
    this.#clock = clock
    this.#since = now ?? clock()
  }

  /** Records activity on `id` now. */
  touch(id: string, now = this.#clock()): void {
    this.#last.set(id, Math.max(now, this.#last.get(id) ?? 0))
    this.#unshared.add(id)
  }

  /**
   * What other servers have not been told: the last activity of sandboxes
   * touched since the last drain, and `now` for those busy here (a stream
   * open on this server keeps its sandbox in use everywhere).
   */
  drain(now = this.#clock()): Map<string, number> {
    const times = new Map<string, number>()
    for (const id of this.#unshared) times.set(id, this.#last.get(id) ?? now)
    for (const id of this.#open.keys()) times.set(id, now)
    this.#unshared.clear()
    return times
  }

  /** Takes in activity other servers recorded (keeping the later time of each). */
  merge(times: ReadonlyMap<string, number>): void {
    for (const [id, at] of times) this.#last.set(id, Math.max(at, this.#last.get(id) ?? 0))
  }

  /**
   * Marks `id` busy until the returned function is called (once is enough;
   * later calls do nothing); the end of the work counts as activity.
   */
  begin(id: string): () => void {
    this.#open.set(id, (this.#open.get(id) ?? 0) + 1)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      const left = (this.#open.get(id) ?? 1) - 1
      if (left > 0) this.#open.set(id, left)
      else this.#open.delete(id)
      this.touch(id)
    }
  }

  /** True while a call or stream about `id` is open. */
  busy(id: string): boolean {
    return (this.#open.get(id) ?? 0) > 0
  }

  /**
   * Milliseconds since the epoch of the last activity on a sandbox created at
   * `createdAt`: its last recorded activity, else its creation, but never
   * before this tracker started (after a restart the idle clock starts over).
   */
  lastActivity(sandbox: { id: string; createdAt: string }): number {
    return Math.max(this.#last.get(sandbox.id) ?? 0, Date.parse(sandbox.createdAt), this.#since)
  }

  /** `lastActivity` as an ISO 8601 string. */
  lastActivityAt(sandbox: { id: string; createdAt: string }): string {
    return new Date(this.lastActivity(sandbox)).toISOString()
  }

  /** Drops what is known about sandboxes not in `keep` and not busy (they were removed). */
  prune(keep: ReadonlySet<string>): void {
    for (const id of this.#last.keys()) {
      if (!keep.has(id) && !this.busy(id)) {
        this.#last.delete(id)
        this.#unshared.delete(id)
      }
    }
  }
}

const SANDBOX_ROUTE = '/v1/sandboxes/:id'

/**
 * Counts every call to a `/v1/sandboxes/{id}/…` route as activity on that
 * sandbox, busy from the moment it arrives until its response (or stream,
 * or upgraded WebSocket) closes.
 */
export function registerActivityTracking(app: FastifyInstance, activity: ActivityTracker): void {
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url
    if (route === undefined || !(route === SANDBOX_ROUTE || route.startsWith(`${SANDBOX_ROUTE}/`)))
      return
    const id = (request.params as { id?: unknown }).id
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) return
    const end = activity.begin(id)
    reply.raw.once('close', end)
    // An upgraded WebSocket outlives its response object: its socket says when it ends.
    if (request.headers.upgrade) request.raw.socket?.once('close', end)
    // A client gone before this hook ran never closes again.
    if (request.raw.socket?.destroyed) end()
  })
}
