import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { WorkspaceError } from '../src/index.js'
import { liveClient, skipLive } from './support/live.js'

// Nothing is mounted (no kernel NFS client on these machines): the workspace's nfsUrl, the
// mount argv built from it, and the mount table's answers.
describe('live: nfs', { skip: skipLive }, () => {
  const client = liveClient()
  after(() => client.close())

  test('nfsUrl, mountCommand, isMounted and unmount of a plain directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wm-live-nfs-'))
    const ws = await client.workspace.create({ name: 'sdk-live-nfs' })
    try {
      assert.ok(ws.nfsUrl, 'the server under test must export workspaces over NFS')
      const url = new URL(ws.nfsUrl)
      assert.equal(url.protocol, 'nfs:')
      assert.equal(url.pathname, `/workspaces/${ws.id}`)
      const argv = await client.nfs.mountCommand(ws.id, join(dir, 'm'), { version: '3' })
      const port = Number(url.port)
      assert.match(argv[4] ?? '', new RegExp(`^vers=3,port=${port},mountport=${port + 1},`))
      assert.deepEqual(argv.slice(5), [`${url.hostname}:/workspaces/${ws.id}`, join(dir, 'm')])
      assert.equal(await client.nfs.isMounted(dir), false)
      assert.equal(await client.nfs.isMounted('/mnt/not-a-mount-point-xyz'), false)
      await assert.rejects(
        client.nfs.unmount(dir),
        (error: unknown) =>
          error instanceof WorkspaceError && error.details.reason === 'not-mounted',
      )
    } finally {
      await client.workspace.delete(ws.id)
      await rm(dir, { recursive: true, force: true })
    }
  })
})
