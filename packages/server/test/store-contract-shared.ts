import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MetadataStore } from '../src/store/index.js'
import { sandboxRecord, workspaceRecord } from './store-contract.js'

/** A second store on the same data as `store`, as another server opens it. */
export type OpenTwin = (store: MetadataStore) => Promise<MetadataStore>

/** A test stuck on a lock that was never released fails here rather than hanging the run. */
const LOCK_TEST_TIMEOUT_MS = 30_000

const WHY_NO_TWIN = 'one server per store: no second server can open it, so nothing to coordinate'

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/**
 * What servers sharing a store rely on: settings, activity, locks and the
 * leader lease. Called by `storeContract`; the tests that need two stores
 * on one database run only when `openTwin` is given.
 */
export function sharedStateContract(
  name: string,
  open: () => Promise<MetadataStore>,
  openTwin?: OpenTwin,
): void {
  const withStore = (title: string, body: (store: MetadataStore) => Promise<void>) =>
    test(`${name}: ${title}`, { timeout: LOCK_TEST_TIMEOUT_MS }, async () => {
      const store = await open()
      try {
        await body(store)
      } finally {
        await store.close()
      }
    })
  const withTwins = (
    title: string,
    body: (first: MetadataStore, second: MetadataStore) => Promise<void>,
  ) =>
    test(`${name}: ${title}`, { timeout: LOCK_TEST_TIMEOUT_MS }, async (t) => {
      if (!openTwin) {
        t.skip(WHY_NO_TWIN)
        return
      }
      const first = await open()
      const second = await openTwin(first).catch(async (error: unknown) => {
        await first.close()
        throw error
      })
      try {
        await body(first, second)
      } finally {
        await second.close()
        await first.close()
      }
    })

  withStore('settings: the first claim wins; put overwrites', async (store) => {
    assert.equal(await store.getSetting('instance_id'), undefined)
    assert.equal(await store.claimSetting('instance_id', 'first'), 'first')
    assert.equal(await store.claimSetting('instance_id', 'second'), 'first')
    assert.equal(await store.getSetting('instance_id'), 'first')
    await store.putSetting('instance_id', 'third')
    await store.putSetting('leader', 'replica-a')
    assert.equal(await store.getSetting('instance_id'), 'third')
    assert.equal(await store.claimSetting('instance_id', 'fourth'), 'third')
    assert.equal(await store.getSetting('leader'), 'replica-a')
  })

  withStore(
    'activity: the later time is kept, unknown ids are ignored, rows go with their sandbox',
    async (store) => {
      await store.insertWorkspace(workspaceRecord('ws_1'))
      for (const id of ['sb_1', 'sb_2']) await store.insertSandbox(sandboxRecord(id))
      await store.recordActivity(new Map())
      assert.deepEqual(await store.listActivity(), new Map())
      await store.recordActivity(
        new Map([
          ['sb_1', 1_700_000_000_000],
          ['sb_2', 1_700_000_000_500],
          ['sb_none', 1_800_000_000_000],
        ]),
      )
      await store.recordActivity(
        new Map([
          ['sb_1', 1_600_000_000_000],
          ['sb_2', 1_700_000_001_000.7],
        ]),
      )
      assert.deepEqual(
        await store.listActivity(),
        new Map([
          ['sb_1', 1_700_000_000_000],
          ['sb_2', 1_700_000_001_000],
        ]),
      )
      assert.equal(await store.deleteSandbox('sb_1'), true)
      assert.deepEqual([...(await store.listActivity()).keys()], ['sb_2'])
    },
  )

  withStore('withLock: resolves what fn resolves, rejects with what fn throws', async (store) => {
    const { coordination } = store
    assert.equal(await coordination.withLock('sandbox:sb_1', async () => 42), 42)
    const failure = new Error('fn failed')
    await assert.rejects(
      coordination.withLock('sandbox:sb_1', async () => {
        throw failure
      }),
      (error) => error === failure,
    )
    // A lock left held by the failure would make this wait until the test times out.
    assert.equal(await coordination.withLock('sandbox:sb_1', async () => 'again'), 'again')
  })

  withStore(
    'tryLead: the lease holds until released, and is granted again after',
    async (store) => {
      const lease = await store.coordination.tryLead()
      assert.ok(lease, 'the only server leads')
      assert.equal(await lease.check(), true)
      await lease.release()
      const again = await store.coordination.tryLead()
      assert.ok(again, 'a released lease can be taken again')
      await again.release()
    },
  )

  withTwins('withLock: two servers take turns on one key', async (first, second) => {
    const events: string[] = []
    const entered = gate()
    const leave = gate()
    const holding = first.coordination.withLock('sandbox:sb_1', async () => {
      events.push('first in')
      entered.open()
      await leave.opened
      events.push('first out')
    })
    await entered.opened
    const waiting = second.coordination.withLock('sandbox:sb_1', async () => {
      events.push('second in')
    })
    // Another key is not held up by the first server's lock; by the time it and a few
    // round trips are done, the second server's request for sb_1 has reached the store.
    assert.equal(await second.coordination.withLock('sandbox:sb_2', async () => 'free'), 'free')
    for (let i = 0; i < 3; i++) await second.ping()
    assert.deepEqual(events, ['first in'], 'the second server waits while the first holds')
    leave.open()
    await Promise.all([holding, waiting])
    assert.deepEqual(events, ['first in', 'first out', 'second in'])
  })

  withTwins('withLock: a lock is released when its fn throws', async (first, second) => {
    await assert.rejects(
      first.coordination.withLock('sandbox:sb_1', async () => {
        throw new Error('fn failed')
      }),
      /fn failed/,
    )
    assert.equal(await second.coordination.withLock('sandbox:sb_1', async () => 'ok'), 'ok')
  })

  withTwins(
    'tryLead: one leader at a time; another leads once it releases',
    async (first, second) => {
      assert.equal(first.coordination.replicated, true)
      const lease = await first.coordination.tryLead()
      assert.ok(lease, 'the first server to ask leads')
      assert.equal(await second.coordination.tryLead(), undefined, 'no second leader')
      assert.equal(await lease.check(), true)
      await lease.release()
      const next = await second.coordination.tryLead()
      assert.ok(next, 'the lease is free once released')
      assert.equal(await first.coordination.tryLead(), undefined)
      await next.release()
    },
  )
}
