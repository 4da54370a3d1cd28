import type { Coordination, LeaderLease } from './types.js'

const heldForever: LeaderLease = {
  check: async () => true,
  release: async () => undefined,
}

/**
 * Coordination of a store only one server uses (the embedded SQLite file):
 * the in-process queue of the lifecycle controller already serialises each
 * sandbox, so a lock only runs its function, and this server always leads.
 */
export const SINGLE_SERVER: Coordination = {
  replicated: false,
  withLock: (_key, fn) => fn(),
  tryLead: async () => heldForever,
}
