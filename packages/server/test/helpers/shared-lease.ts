import type { Coordination, LeaderLease, SqliteStore } from '../../src/store/index.js'

/**
 * A leader lease one replica at a time holds, shared by in-process
 * "replicas" of one store; a test frees it (`holder = undefined`) as a dead
 * connection would.
 */
export class TestLease {
  holder: string | undefined
  tryLead(who: string): Coordination['tryLead'] {
    return async () => {
      if (this.holder !== undefined) return undefined
      this.holder = who
      const lease: LeaderLease = {
        check: async () => this.holder === who,
        release: async () => {
          if (this.holder === who) this.holder = undefined
        },
      }
      return lease
    }
  }
}

/**
 * `store` as replica `who` sees it: the same rows, coordinated by `lease`.
 * With `keepOpen`, closing it leaves the shared store open (the test closes
 * that itself).
 */
export function leasedReplica(
  store: SqliteStore,
  lease: TestLease,
  who: string,
  options: { keepOpen?: boolean } = {},
): SqliteStore {
  const coordination: Coordination = {
    replicated: true,
    withLock: (_key, fn) => fn(),
    tryLead: lease.tryLead(who),
  }
  return new Proxy(store, {
    get: (target, property) => {
      if (property === 'coordination') return coordination
      if (property === 'close' && options.keepOpen) return async () => undefined
      const value = Reflect.get(target, property) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
