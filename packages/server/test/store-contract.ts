import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MetadataStore, SandboxRecord, WorkspaceRecord } from '../src/store/index.js'
import { sharedStateContract, type OpenTwin } from './store-contract-shared.js'
import { workspaceQuotaContract } from './store-contract-quota.js'

/** A workspace row with no name, metadata or quota, made now. */
export function workspaceRecord(id: string, extra: Partial<WorkspaceRecord> = {}): WorkspaceRecord {
  const now = new Date().toISOString()
  return {
    id,
    name: null,
    metadata: null,
    createdAt: now,
    updatedAt: now,
    quotaBytes: null,
    quotaId: null,
    ...extra,
  }
}

/** A sandbox row of workspace `ws_1` with the lifecycle fields set to non-defaults. */
export function sandboxRecord(id: string, extra: Partial<SandboxRecord> = {}): SandboxRecord {
  const now = new Date().toISOString()
  return {
    id,
    workspaceId: 'ws_1',
    name: null,
    template: 'wm-test:latest',
    state: 'starting',
    env: { A: '1' },
    metadata: null,
    timeout: 60,
    nanoCpus: 1e9,
    memoryBytes: 256 * 1024 ** 2,
    // Past 2^32: the column must hold 64-bit sizes.
    diskBytes: 5 * 1024 ** 3,
    networkMode: 'none',
    networkAllow: null,
    egressSecrets: null,
    applicationKind: null,
    errorMessage: null,
    agentToken: 'secret',
    createdAt: now,
    updatedAt: now,
    expiresAt: null,
    desiredState: 'running',
    operation: 'create',
    onIdle: 'pause',
    onTimeout: 'stop',
    autoResume: true,
    image: null,
    ...extra,
  }
}

/**
 * The behaviour every MetadataStore must have. Each implementation's test
 * file calls this with a factory that returns a fresh, empty store, and,
 * when several servers can share one store, `openTwin`: a second store on
 * the same data as the one given (the tests of two servers are skipped
 * without it).
 */
export function storeContract(
  name: string,
  open: () => Promise<MetadataStore>,
  openTwin?: OpenTwin,
): void {
  sharedStateContract(name, open, openTwin)
  workspaceQuotaContract(name, open, workspaceRecord)

  const withStore = (title: string, body: (store: MetadataStore) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const store = await open()
      try {
        await body(store)
      } finally {
        await store.close()
      }
    })

  withStore('inserts and reads back a workspace with name and metadata', async (store) => {
    const row = workspaceRecord('ws_1', { name: 'one', metadata: { project: 'demo', ü: 'ö' } })
    await store.insertWorkspace(row)
    assert.deepEqual(await store.getWorkspace('ws_1'), row)
  })

  withStore('keeps null name and metadata as null', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1'))
    const row = await store.getWorkspace('ws_1')
    assert.equal(row?.name, null)
    assert.equal(row?.metadata, null)
  })

  withStore('answers undefined for an unknown id', async (store) => {
    assert.equal(await store.getWorkspace('nope'), undefined)
  })

  withStore('refuses a duplicate id and keeps the first row', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1', { name: 'first' }))
    await assert.rejects(store.insertWorkspace(workspaceRecord('ws_1', { name: 'second' })))
    assert.equal((await store.getWorkspace('ws_1'))?.name, 'first')
  })

  withStore('lists in insertion order', async (store) => {
    for (const id of ['ws_b', 'ws_a', 'ws_c']) await store.insertWorkspace(workspaceRecord(id))
    assert.deepEqual(
      (await store.listWorkspaces()).map((row) => row.id),
      ['ws_b', 'ws_a', 'ws_c'],
    )
  })

  withStore('deletes once', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1'))
    assert.equal(await store.deleteWorkspace('ws_1'), true)
    assert.equal(await store.deleteWorkspace('ws_1'), false)
    assert.equal(await store.getWorkspace('ws_1'), undefined)
    assert.deepEqual(await store.listWorkspaces(), [])
  })

  withStore('answers a ping', async (store) => {
    await store.ping()
  })

  withStore(
    'NFS export ids: stable per workspace, distinct, never reused, gone with the workspace',
    async (store) => {
      for (const id of ['ws_1', 'ws_2', 'ws_3']) await store.insertWorkspace(workspaceRecord(id))
      const one = await store.nfsExportId('ws_1')
      const two = await store.nfsExportId('ws_2')
      assert.ok(one >= 1 && one <= 65535)
      assert.notEqual(one, two)
      assert.equal(await store.nfsExportId('ws_1'), one)
      assert.deepEqual(
        await store.listNfsExportIds(),
        new Map([
          ['ws_1', one],
          ['ws_2', two],
        ]),
      )
      assert.equal(await store.deleteWorkspaceIfUnused('ws_2'), 'deleted')
      assert.deepEqual([...(await store.listNfsExportIds()).keys()], ['ws_1'])
      const three = await store.nfsExportId('ws_3')
      assert.ok(
        ![one, two].includes(three),
        "a deleted workspace's export id is not handed out again",
      )
      await assert.rejects(store.nfsExportId('ws_missing'))
    },
  )

  withStore('checkpoints: inserted, listed per sandbox oldest first, deleted', async (store) => {
    const checkpoint = (id: string, sandboxId: string) => ({
      id,
      sandboxId,
      workspaceId: 'ws_1',
      name: id === 'ck_1' ? 'first' : null,
      kind: 'filesystem' as const,
      image: `wm-checkpoint:${id}`,
      createdAt: new Date().toISOString(),
    })
    for (const [id, sandboxId] of [
      ['ck_2', 'sb_1'],
      ['ck_1', 'sb_1'],
      ['ck_3', 'sb_2'],
    ] as const) {
      await store.insertCheckpoint(checkpoint(id, sandboxId))
    }
    await assert.rejects(store.insertCheckpoint(checkpoint('ck_1', 'sb_1')))
    assert.deepEqual(await store.getCheckpoint('ck_1'), {
      ...checkpoint('ck_1', 'sb_1'),
      createdAt: (await store.getCheckpoint('ck_1'))?.createdAt,
    })
    assert.equal(await store.getCheckpoint('ck_none'), undefined)
    assert.deepEqual(
      (await store.listCheckpoints('sb_1')).map((c) => c.id),
      ['ck_2', 'ck_1'],
    )
    assert.deepEqual(
      (await store.listCheckpoints()).map((c) => c.id),
      ['ck_2', 'ck_1', 'ck_3'],
    )
    assert.equal(await store.deleteCheckpoint('ck_2'), true)
    assert.equal(await store.deleteCheckpoint('ck_2'), false)
    assert.deepEqual(
      (await store.listCheckpoints('sb_1')).map((c) => c.id),
      ['ck_1'],
    )
  })

  withStore('sandboxes: the network policy is kept and changed', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1'))
    const row = sandboxRecord('sb_1', {
      networkMode: 'allowlist',
      networkAllow: ['api.example.com', '*.example.org:443', '203.0.113.0/24'],
    })
    await store.insertSandbox(row)
    assert.deepEqual(await store.getSandbox('sb_1'), row)
    const opened = await store.updateSandbox('sb_1', { networkMode: 'open', networkAllow: [] })
    assert.deepEqual([opened?.networkMode, opened?.networkAllow], ['open', []])
    const other = await store.updateSandbox('sb_1', { state: 'running' })
    assert.deepEqual(other?.networkAllow, [], 'fields not named are left as they are')
  })

  withStore('sandboxes: secrets and their CA are kept, whatever else changes', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1'))
    const egressSecrets = {
      ca: { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: 'k' },
      secrets: [
        { name: 'API_KEY', value: 'v=1;"x"', hosts: ['*.example.com'], placeholder: 'wm-secret-1' },
      ],
    }
    const row = sandboxRecord('sb_1', { egressSecrets })
    await store.insertSandbox(row)
    assert.deepEqual(await store.getSandbox('sb_1'), row)
    const updated = await store.updateSandbox('sb_1', { state: 'running', networkAllow: [] })
    assert.deepEqual(updated?.egressSecrets, egressSecrets)
    await store.insertSandbox(sandboxRecord('sb_2'))
    assert.equal((await store.getSandbox('sb_2'))?.egressSecrets, null)
  })

  withStore('sandboxes: lifecycle fields are kept and updated one by one', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1'))
    const row = sandboxRecord('sb_1')
    await store.insertSandbox(row)
    assert.deepEqual(await store.getSandbox('sb_1'), row)
    const paused = await store.updateSandbox('sb_1', {
      state: 'paused',
      desiredState: 'paused',
      operation: null,
    })
    assert.deepEqual(
      [paused?.state, paused?.desiredState, paused?.operation, paused?.onIdle, paused?.autoResume],
      ['paused', 'paused', null, 'pause', true],
    )
    const restored = await store.updateSandbox('sb_1', { image: 'wm-checkpoint:ck_1' })
    assert.equal(restored?.image, 'wm-checkpoint:ck_1')
    assert.equal(restored?.state, 'paused', 'fields not named are left as they are')
    assert.deepEqual(
      (await store.listSandboxes({ state: 'paused' })).map((s) => s.id),
      ['sb_1'],
    )
    assert.equal(await store.updateSandbox('sb_none', { state: 'running' }), undefined)
    await store.insertSandbox(sandboxRecord('sb_2', { autoResume: false, onIdle: 'delete' }))
    const second = await store.getSandbox('sb_2')
    assert.deepEqual([second?.autoResume, second?.onIdle], [false, 'delete'])
  })

  withStore('sandboxes: the root filesystem size is kept, null when unlimited', async (store) => {
    await store.insertWorkspace(workspaceRecord('ws_1'))
    await store.insertSandbox(sandboxRecord('sb_1'))
    await store.insertSandbox(sandboxRecord('sb_2', { diskBytes: null }))
    assert.equal((await store.getSandbox('sb_1'))?.diskBytes, 5 * 1024 ** 3)
    assert.equal((await store.getSandbox('sb_2'))?.diskBytes, null)
    const stopped = await store.updateSandbox('sb_1', { state: 'stopped' })
    assert.equal(stopped?.diskBytes, 5 * 1024 ** 3, 'kept across updates')
  })
}
