import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  FileNotFoundError,
  PermissionDeniedError,
  WorkspaceError,
  WorkspaceNotFoundError,
  type Workspace,
} from '../src/index.js'
import { liveClient, skipLive } from './support/live.js'

describe('live: file operations', { skip: skipLive }, () => {
  const client = liveClient()
  const files = client.workspace
  let ws: Workspace

  before(async () => {
    ws = await files.create({ name: 'sdk-live-files' })
  })
  after(async () => {
    await files.delete(ws.id)
    client.close()
  })

  test('writeFile and readFile round trip text, creating parents', async () => {
    const info = await files.writeFile(ws.id, 'src/main.py', 'print("héllo")\n')
    assert.equal(info.path, 'src/main.py')
    assert.equal(info.name, 'main.py')
    assert.equal(info.type, 'file')
    assert.equal(info.size, Buffer.byteLength('print("héllo")\n'))
    assert.equal(await files.readFile(ws.id, 'src/main.py'), 'print("héllo")\n')
  })

  test('every byte value 0..255 survives a round trip', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    await files.writeFile(ws.id, 'bytes.bin', bytes)
    assert.deepEqual(await files.readFileBytes(ws.id, 'bytes.bin'), bytes)
  })

  test('writeFile with parents: false into a missing directory is 5001', async () => {
    await assert.rejects(
      files.writeFile(ws.id, 'nope/a.txt', 'x', { parents: false }),
      FileNotFoundError,
    )
  })

  test('listFiles, mkdir, getFileInfo and exists', async () => {
    await files.mkdir(ws.id, 'dir')
    const nested = await files.mkdir(ws.id, 'dir/a/b', { parents: true })
    assert.equal(nested.type, 'directory')
    await files.writeFile(ws.id, 'dir/z.txt', 'z')
    const listing = await files.listFiles(ws.id, 'dir')
    assert.deepEqual(
      listing.map((f) => [f.name, f.path, f.type]),
      [
        ['a', 'dir/a', 'directory'],
        ['z.txt', 'dir/z.txt', 'file'],
      ],
    )
    const root = await files.listFiles(ws.id)
    assert.ok(root.some((f) => f.name === 'dir'))
    const info = await files.getFileInfo(ws.id, 'dir/z.txt')
    assert.equal(info.size, 1)
    assert.ok(info.modifiedAt === null || !Number.isNaN(Date.parse(info.modifiedAt)))
    assert.equal(await files.exists(ws.id, 'dir/z.txt'), true)
    assert.equal(await files.exists(ws.id, 'dir/missing'), false)
    await assert.rejects(files.mkdir(ws.id, 'dir'), (error: unknown) => {
      assert.ok(error instanceof WorkspaceError)
      assert.equal(error.code, 5003)
      return true
    })
  })

  test('copyFile and moveFile, with and without overwrite', async () => {
    await files.writeFile(ws.id, 'cp/src.txt', 'one')
    const copy = await files.copyFile(ws.id, 'cp/src.txt', 'cp/copy.txt')
    assert.equal(copy.path, 'cp/copy.txt')
    assert.equal(await files.readFile(ws.id, 'cp/copy.txt'), 'one')
    await assert.rejects(files.copyFile(ws.id, 'cp/src.txt', 'cp/copy.txt'), { code: 5003 })
    await files.writeFile(ws.id, 'cp/src.txt', 'two')
    await files.copyFile(ws.id, 'cp/src.txt', 'cp/copy.txt', { overwrite: true })
    assert.equal(await files.readFile(ws.id, 'cp/copy.txt'), 'two')

    const moved = await files.moveFile(ws.id, 'cp/copy.txt', 'cp/moved.txt')
    assert.equal(moved.path, 'cp/moved.txt')
    assert.equal(await files.exists(ws.id, 'cp/copy.txt'), false)
    await assert.rejects(files.moveFile(ws.id, 'cp/src.txt', 'cp/moved.txt'), { code: 5003 })
    await files.moveFile(ws.id, 'cp/src.txt', 'cp/moved.txt', { overwrite: true })
    assert.equal(await files.readFile(ws.id, 'cp/moved.txt'), 'two')
  })

  test('deleteFile, recursive for non-empty directories', async () => {
    await files.writeFile(ws.id, 'del/inner/f.txt', 'x')
    await assert.rejects(files.deleteFile(ws.id, 'del'), { code: 5005 })
    await files.deleteFile(ws.id, 'del/inner/f.txt')
    assert.equal(await files.exists(ws.id, 'del/inner/f.txt'), false)
    await files.writeFile(ws.id, 'del/inner/g.txt', 'x')
    await files.deleteFile(ws.id, 'del', { recursive: true })
    assert.equal(await files.exists(ws.id, 'del'), false)
  })

  test('error classes: 5001 missing file, 5006 path escape, 7001 missing workspace', async () => {
    await assert.rejects(files.readFile(ws.id, 'missing.txt'), (error: unknown) => {
      assert.ok(error instanceof FileNotFoundError)
      assert.deepEqual([error.code, error.status, error.name], [5001, 404, 'FileNotFoundError'])
      return true
    })
    await assert.rejects(files.readFile(ws.id, '../etc/passwd'), (error: unknown) => {
      assert.ok(error instanceof PermissionDeniedError)
      assert.deepEqual([error.code, error.status], [5006, 403])
      return true
    })
    await assert.rejects(files.writeFile(ws.id, '/abs.txt', 'x'), PermissionDeniedError)
    await assert.rejects(files.listFiles('no-such-workspace'), (error: unknown) => {
      assert.ok(error instanceof WorkspaceNotFoundError)
      assert.equal(error.code, 7001)
      return true
    })
  })
})
