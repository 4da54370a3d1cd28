import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MetadataStore, WorkspaceRecord } from '../src/store/index.js'

/** The quota columns of workspaces, and changing a workspace's quota, on every store. */
export function workspaceQuotaContract(
  name: string,
  open: () => Promise<MetadataStore>,
  record: (id: string, extra?: Partial<WorkspaceRecord>) => WorkspaceRecord,
): void {
  const withStore = (title: string, body: (store: MetadataStore) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const store = await open()
      try {
        await body(store)
      } finally {
        await store.close()
      }
    })

  withStore('keeps a workspace quota and quota id past 2^32', async (store) => {
    const row = record('ws_1', { quotaBytes: 5 * 1024 ** 4, quotaId: 2 ** 33 + 7 })
    await store.insertWorkspace(row)
    assert.deepEqual(await store.getWorkspace('ws_1'), row)
    assert.deepEqual(await store.listWorkspaces(), [row])
  })

  withStore('changes a quota, lifts it, and bumps updatedAt', async (store) => {
    const row = record('ws_1', {
      quotaBytes: 20 * 1024 ** 2,
      quotaId: 300,
      updatedAt: '2000-01-01T00:00:00.000Z',
    })
    await store.insertWorkspace(row)
    const raised = await store.updateWorkspace('ws_1', { quotaBytes: 40 * 1024 ** 2 })
    assert.equal(raised?.quotaBytes, 40 * 1024 ** 2)
    assert.equal(raised?.quotaId, 300)
    assert.notEqual(raised?.updatedAt, row.updatedAt)
    assert.deepEqual(await store.getWorkspace('ws_1'), raised)
    const lifted = await store.updateWorkspace('ws_1', { quotaBytes: null })
    assert.equal(lifted?.quotaBytes, null)
    assert.equal((await store.getWorkspace('ws_1'))?.quotaBytes, null)
  })

  withStore('an update without fields keeps the quota', async (store) => {
    await store.insertWorkspace(record('ws_1', { quotaBytes: 1024 ** 2 }))
    assert.equal((await store.updateWorkspace('ws_1', {}))?.quotaBytes, 1024 ** 2)
  })

  withStore('an update of an unknown workspace resolves undefined', async (store) => {
    assert.equal(await store.updateWorkspace('nope', { quotaBytes: 1024 ** 2 }), undefined)
  })
}
