import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ApiError } from '../src/errors.js'
import { MAX_TREE_DEPTH, type WorkspaceFiles } from '../src/storage/index.js'
import { rejectsCode, storageFixture, type StorageFixture } from './helpers/storage-fixture.js'

const ID = 'ws1'
let f: StorageFixture
let files: WorkspaceFiles

beforeEach(async () => {
  f = await storageFixture(1024)
  files = f.files
})
afterEach(async () => {
  await f.cleanup()
})

const put = (path: string, content: string) => f.put(path, content)
const get = (path: string) => f.get(path)

describe('mkdir', () => {
  it('creates a directory; with parents creates ancestors and accepts an existing directory', async () => {
    const info = await files.mkdir(ID, 'a', { parents: false })
    assert.deepEqual([info.name, info.path, info.type], ['a', 'a', 'directory'])
    assert.equal((await files.mkdir(ID, 'x/y/z', { parents: true })).path, 'x/y/z')
    assert.ok((await fs.stat(join(f.ws, 'x/y/z'))).isDirectory())
    assert.equal((await files.mkdir(ID, 'x/y', { parents: true })).type, 'directory')
    assert.equal((await files.mkdir(ID, '', { parents: true })).path, '')
  })

  it('exists → 5003, parent missing → 5001, under a file → 5004', async () => {
    await put('f', 'x')
    await files.mkdir(ID, 'd', { parents: false })
    await rejectsCode(files.mkdir(ID, 'd', { parents: false }), 5003)
    await rejectsCode(files.mkdir(ID, 'f', { parents: false }), 5003)
    await rejectsCode(files.mkdir(ID, 'f', { parents: true }), 5003)
    await rejectsCode(files.mkdir(ID, '', { parents: false }), 5003)
    await rejectsCode(files.mkdir(ID, 'no/d', { parents: false }), 5001)
    await rejectsCode(files.mkdir(ID, 'f/d', { parents: true }), 5004)
    await rejectsCode(files.mkdir(ID, 'f/d', { parents: false }), 5004)
  })
})

describe('copy', () => {
  it('copies a file, keeping permission bits', async () => {
    await put('src', 'data')
    await fs.chmod(join(f.ws, 'src'), 0o755)
    const info = await files.copy(ID, 'src', 'dst', { overwrite: false })
    assert.deepEqual([info.path, info.type, info.size], ['dst', 'file', 4])
    assert.equal(await get('dst'), 'data')
    assert.equal((await fs.stat(join(f.ws, 'dst'))).mode & 0o777, 0o755)
  })

  it('copies a directory recursively, symlinks as symlinks', async () => {
    await put('d/a.txt', 'A')
    await put('d/sub/b.txt', 'B')
    await fs.mkdir(join(f.ws, 'd/empty'))
    await fs.symlink('/etc/passwd', join(f.ws, 'd/sub/abs-link'))
    await fs.symlink('../a.txt', join(f.ws, 'd/sub/rel-link'))
    const info = await files.copy(ID, 'd', 'e/copy', { overwrite: false }).catch((e: unknown) => e)
    assert.ok(info instanceof ApiError && info.code === 5001, 'destination parent must exist')
    const copied = await files.copy(ID, 'd', 'copy', { overwrite: false })
    assert.equal(copied.type, 'directory')
    assert.equal(await get('copy/a.txt'), 'A')
    assert.equal(await get('copy/sub/b.txt'), 'B')
    assert.ok((await fs.stat(join(f.ws, 'copy/empty'))).isDirectory())
    assert.equal(await fs.readlink(join(f.ws, 'copy/sub/abs-link')), '/etc/passwd')
    assert.equal(await fs.readlink(join(f.ws, 'copy/sub/rel-link')), '../a.txt')
    assert.deepEqual((await fs.readdir(f.ws)).sort(), ['copy', 'd'])
  })

  it('copies a symlink itself as a symlink', async () => {
    await fs.symlink('/etc', join(f.ws, 'l'))
    assert.equal((await files.copy(ID, 'l', 'l2', { overwrite: false })).type, 'symlink')
    assert.equal(await fs.readlink(join(f.ws, 'l2')), '/etc')
  })

  it('errors: source missing 5001, exists 5003, dir over file 5004, over dir 5005, into itself 1001', async () => {
    await put('f', 'one')
    await put('g', 'two')
    await put('d/x', 'x')
    await rejectsCode(files.copy(ID, 'nope', 'n', { overwrite: false }), 5001)
    await rejectsCode(files.copy(ID, 'f', 'g', { overwrite: false }), 5003)
    await rejectsCode(files.copy(ID, 'f', '', { overwrite: false }), 5003)
    await rejectsCode(files.copy(ID, 'f', '', { overwrite: true }), 5005)
    await rejectsCode(files.copy(ID, 'f', 'd', { overwrite: true }), 5005)
    await rejectsCode(files.copy(ID, 'd', 'f', { overwrite: true }), 5004)
    await rejectsCode(files.copy(ID, 'd', 'd/inner', { overwrite: false }), 1001)
    await rejectsCode(files.copy(ID, 'd', 'd', { overwrite: true }), 1001)
    await rejectsCode(files.copy(ID, '', 'all', { overwrite: false }), 1001)
    await rejectsCode(files.copy(ID, 'f', 'no/dir/f', { overwrite: false }), 5001)
    assert.equal(await get('g'), 'two')
    await files.copy(ID, 'f', 'g', { overwrite: true })
    assert.equal(await get('g'), 'one')
    assert.deepEqual((await fs.readdir(f.ws)).sort(), ['d', 'f', 'g'])
  })

  it('refuses to copy a FIFO', async () => {
    const { execFileSync } = await import('node:child_process')
    execFileSync('mkfifo', [join(f.ws, 'fifo')])
    await rejectsCode(files.copy(ID, 'fifo', 'x', { overwrite: false }), 1001)
    assert.deepEqual(await fs.readdir(f.ws), ['fifo'])
  })
})

describe('move', () => {
  it('moves files and directories', async () => {
    await put('f', 'data')
    await put('d/x', 'x')
    const info = await files.move(ID, 'f', 'd/g', { overwrite: false })
    assert.deepEqual([info.path, info.name, info.type], ['d/g', 'g', 'file'])
    const dinfo = await files.move(ID, 'd', 'e', { overwrite: false })
    assert.equal(dinfo.type, 'directory')
    assert.equal(await get('e/g'), 'data')
    assert.deepEqual(await fs.readdir(f.ws), ['e'])
  })

  it('overwrite replaces a file only', async () => {
    await put('a', 'A')
    await put('b', 'B')
    await put('d/x', 'x')
    await rejectsCode(files.move(ID, 'a', 'b', { overwrite: false }), 5003)
    await files.move(ID, 'a', 'b', { overwrite: true })
    assert.equal(await get('b'), 'A')
    await rejectsCode(files.move(ID, 'b', 'd', { overwrite: true }), 5005)
    await rejectsCode(files.move(ID, 'd', 'b', { overwrite: true }), 5004)
  })

  it('errors: root 1001, into itself 1001, source missing 5001, destination parent missing 5001', async () => {
    await put('d/x', 'x')
    await rejectsCode(files.move(ID, '', 'x', { overwrite: false }), 1001)
    await rejectsCode(files.move(ID, '.', 'x', { overwrite: false }), 1001)
    await rejectsCode(files.move(ID, 'd', 'd/sub', { overwrite: false }), 1001)
    await rejectsCode(files.move(ID, 'd', 'd', { overwrite: false }), 1001)
    await rejectsCode(files.move(ID, 'nope', 'x', { overwrite: false }), 5001)
    await rejectsCode(files.move(ID, 'd/x', 'no/x', { overwrite: false }), 5001)
    await rejectsCode(files.move(ID, 'd/x', '', { overwrite: false }), 5003)
    assert.equal(await get('d/x'), 'x')
  })
})

describe('remove', () => {
  it('removes files, empty directories, and trees with recursive', async () => {
    await put('f', 'x')
    await files.mkdir(ID, 'empty', { parents: false })
    await put('tree/a/b/c', 'x')
    await files.remove(ID, 'f', { recursive: false })
    await files.remove(ID, 'empty', { recursive: false })
    await files.remove(ID, 'tree', { recursive: true })
    assert.deepEqual(await fs.readdir(f.ws), [])
  })

  it('non-empty directory without recursive → 5005, root → 5002, missing → 5001', async () => {
    await put('d/x', 'x')
    const err = await rejectsCode(files.remove(ID, 'd', { recursive: false }), 5005)
    assert.match(err.message, /not empty/)
    const root = await rejectsCode(files.remove(ID, '', { recursive: true }), 5002)
    assert.equal(root.status, 403)
    await rejectsCode(files.remove(ID, '.', { recursive: true }), 5002)
    await rejectsCode(files.remove(ID, 'nope', { recursive: true }), 5001)
    await rejectsCode(files.remove(ID, 'nope/x', { recursive: false }), 5001)
    assert.equal(await get('d/x'), 'x')
  })

  it('removes a symlink, not its target, and a recursive remove does not follow links inside', async () => {
    await fs.symlink(f.outside, join(f.ws, 'link'))
    await put('d/x', 'x')
    await fs.symlink(f.outside, join(f.ws, 'd/inner-link'))
    await files.remove(ID, 'link', { recursive: false })
    await files.remove(ID, 'd', { recursive: true })
    assert.deepEqual(await fs.readdir(f.ws), [])
    assert.deepEqual(await fs.readdir(f.outside), ['file'])
  })
})

describe('trees the sandbox can build', () => {
  it('names that are not UTF-8 are listed, copied and removed', async () => {
    const raw = Buffer.concat([Buffer.from(`${f.ws}/d/bad-`), Buffer.from([0xff, 0xfe])])
    await fs.mkdir(join(f.ws, 'd'))
    await fs.writeFile(raw, 'x')
    const list = await files.list(ID, 'd')
    assert.equal(list.length, 1)
    assert.equal(list[0]?.type, 'file')
    await files.copy(ID, 'd', 'd2', { overwrite: false })
    assert.equal((await fs.readdir(join(f.ws, 'd2'), { encoding: 'buffer' }))[0]?.at(-1), 0xfe)
    await files.remove(ID, 'd', { recursive: true })
    await files.remove(ID, 'd2', { recursive: true })
    assert.deepEqual(await fs.readdir(f.ws), [])
  })

  it(`nesting deeper than ${MAX_TREE_DEPTH} levels is refused by copy and remove, cleanly`, async () => {
    await fs.mkdir(join(f.ws, 'deep', ...Array<string>(MAX_TREE_DEPTH + 2).fill('d')), {
      recursive: true,
    })
    const err = await rejectsCode(files.copy(ID, 'deep', 'copy', { overwrite: false }), 1001)
    assert.match(err.message, /nested more than/)
    assert.deepEqual(await fs.readdir(f.ws), ['deep'], 'the partial copy was not cleaned up')
    await rejectsCode(files.remove(ID, 'deep', { recursive: true }), 1001)
    // A tree within the limit goes entirely.
    await files.remove(ID, 'deep/d/d/d', { recursive: true })
    await files.remove(ID, 'deep', { recursive: true })
    assert.deepEqual(await fs.readdir(f.ws), [])
  })
})
