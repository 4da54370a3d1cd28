import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { WorkspaceFiles } from '../src/storage/index.js'
import {
  body,
  failingBody,
  readAll,
  rejectsCode,
  storageFixture,
  type StorageFixture,
} from './helpers/storage-fixture.js'

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

describe('workspace directories', () => {
  it('create makes the directory (and the data dir), idempotently', async () => {
    assert.ok((await fs.stat(f.ws)).isDirectory())
    await files.create(ID)
    await files.create('other')
    assert.deepEqual((await fs.readdir(f.root)).sort(), ['other', 'ws1'])
  })

  it('destroy removes the whole tree without following symlinks; absent is a no-op', async () => {
    await fs.mkdir(join(f.ws, 'a/b/c'), { recursive: true })
    await fs.writeFile(join(f.ws, 'a/b/c/x'), 'x')
    await fs.symlink(f.outside, join(f.ws, 'a/out'))
    await fs.symlink('/etc', join(f.ws, 'etc'))
    await files.destroy(ID)
    await assert.rejects(fs.stat(f.ws), { code: 'ENOENT' })
    assert.ok((await fs.stat(join(f.outside, 'file'))).isFile())
    await files.destroy(ID)
    await files.destroy('never-created')
  })

  it('rejects malformed workspace ids and reports a missing workspace directory', async () => {
    await rejectsCode(files.list('../etc', ''), 1001)
    await rejectsCode(files.create('a/b'), 1001)
    await rejectsCode(files.destroy(''), 1001)
    await rejectsCode(files.list('missing', ''), 7001)
  })

  it('refuses a relative data dir', () => {
    assert.throws(() => new WorkspaceFiles({ root: 'data', maxTransferBytes: 1 }))
  })
})

describe('paths', () => {
  it('normalises "", ".", repeated and trailing slashes and "." components', async () => {
    await put('a/b/f.txt', 'hi')
    for (const p of ['a//b/f.txt', 'a/b/f.txt/', './a/./b//f.txt']) {
      const info = await files.info(ID, p)
      assert.equal(info.path, 'a/b/f.txt')
      assert.equal(info.name, 'f.txt')
    }
    for (const p of ['', '.', './', './/.']) {
      const info = await files.info(ID, p)
      assert.deepEqual([info.name, info.path, info.type], ['', '', 'directory'])
    }
  })

  it('refuses "..", absolute paths and NUL with 5006, over-long names and paths with 1001', async () => {
    for (const p of ['..', '../x', 'a/../b', 'a/..', '/etc/passwd', '/', 'a\0b']) {
      await rejectsCode(files.info(ID, p), 5006)
      await rejectsCode(files.write(ID, p, body('x'), { parents: true }), 5006)
    }
    await rejectsCode(files.info(ID, 'n'.repeat(256)), 1001)
    await rejectsCode(files.info(ID, `a/${'é'.repeat(128)}`), 1001) // 256 bytes
    await rejectsCode(files.info(ID, 'abcd/'.repeat(820) + 'x'), 1001) // > 4096 bytes
    await rejectsCode(files.info(ID, 'n'.repeat(255)), 5001) // the longest legal name
  })

  it('error messages name the relative path, never the host path', async () => {
    const err = await rejectsCode(files.info(ID, 'no/such'), 5001)
    assert.match(err.message, /'no'/)
    assert.ok(!err.message.includes(f.root))
    assert.deepEqual(err.details, { path: 'no/such' })
    const err2 = await rejectsCode(files.openRead(ID, 'missing.txt'), 5001)
    assert.match(err2.message, /'missing.txt' does not exist/)
    assert.ok(!JSON.stringify(err2.toEnvelope()).includes(f.tmp))
  })
})

describe('list and info', () => {
  it('lists one level sorted by name, with types, sizes and times', async () => {
    await put('b.txt', 'bbb')
    await put('a.txt', 'a')
    await put('dir/inner.txt', 'not listed')
    await fs.symlink('a.txt', join(f.ws, 'c-link'))
    const list = await files.list(ID, '')
    assert.deepEqual(
      list.map((i) => [i.name, i.path, i.type]),
      [
        ['a.txt', 'a.txt', 'file'],
        ['b.txt', 'b.txt', 'file'],
        ['c-link', 'c-link', 'symlink'],
        ['dir', 'dir', 'directory'],
      ],
    )
    assert.equal(list[1]?.size, 3)
    assert.equal(list[2]?.size, 'a.txt'.length)
    assert.ok(!Number.isNaN(Date.parse(list[0]?.modified_at ?? '')))
    assert.deepEqual(
      (await files.list(ID, 'dir/')).map((i) => i.path),
      ['dir/inner.txt'],
    )
  })

  it('list: missing → 5001, a file → 5004, through a file → 5004', async () => {
    await put('f', 'x')
    await rejectsCode(files.list(ID, 'nope'), 5001)
    await rejectsCode(files.list(ID, 'f'), 5004)
    await rejectsCode(files.list(ID, 'f/g'), 5004)
  })

  it('info describes files, directories and symlinks; missing → 5001', async () => {
    await put('d/f', 'hello')
    const info = await files.info(ID, 'd/f')
    assert.deepEqual([info.name, info.path, info.type, info.size], ['f', 'd/f', 'file', 5])
    assert.equal((await files.info(ID, 'd')).type, 'directory')
    await fs.symlink('/nowhere', join(f.ws, 'l'))
    assert.deepEqual(
      [(await files.info(ID, 'l')).type, (await files.info(ID, 'l')).size],
      ['symlink', '/nowhere'.length],
    )
    await rejectsCode(files.info(ID, 'd/missing'), 5001)
    await rejectsCode(files.info(ID, 'missing/f'), 5001)
    await rejectsCode(files.info(ID, 'd/f/x'), 5004)
  })
})

describe('read and write', () => {
  it('round-trips content through a stream, with size and info', async () => {
    const info = await files.write(ID, 'x/y/z.bin', body('ab', Buffer.from([0, 1, 2])), {
      parents: true,
    })
    assert.deepEqual(
      [info.name, info.path, info.type, info.size],
      ['z.bin', 'x/y/z.bin', 'file', 5],
    )
    const opened = await files.openRead(ID, 'x/y/z.bin')
    assert.equal(opened.size, 5)
    assert.equal(opened.info.path, 'x/y/z.bin')
    assert.deepEqual(await readAll(opened.stream), Buffer.from([97, 98, 0, 1, 2]))
    assert.equal((await fs.stat(join(f.ws, 'x/y/z.bin'))).mode & 0o777, 0o644)
  })

  it('reads an empty file', async () => {
    await put('empty', '')
    const opened = await files.openRead(ID, 'empty')
    assert.equal(opened.size, 0)
    assert.equal((await readAll(opened.stream)).length, 0)
  })

  it('overwrites an existing file by rename', async () => {
    await put('f', 'old')
    await put('f', 'new content')
    assert.equal(await get('f'), 'new content')
    assert.deepEqual(await fs.readdir(f.ws), ['f'])
  })

  it('read: missing → 5001, directory → 5005, over the cap → 1004, FIFO → 1001 without hanging', async () => {
    await put('d/f', 'x')
    await rejectsCode(files.openRead(ID, 'nope'), 5001)
    await rejectsCode(files.openRead(ID, 'd'), 5005)
    await rejectsCode(files.openRead(ID, ''), 5005)
    await fs.writeFile(join(f.ws, 'big'), Buffer.alloc(1025))
    const err = await rejectsCode(files.openRead(ID, 'big'), 1004)
    assert.equal(err.status, 413)
    await fs.writeFile(join(f.ws, 'exact'), Buffer.alloc(1024))
    assert.equal((await readAll((await files.openRead(ID, 'exact')).stream)).length, 1024)
    const { execFileSync } = await import('node:child_process')
    execFileSync('mkfifo', [join(f.ws, 'fifo')])
    await rejectsCode(files.openRead(ID, 'fifo'), 1001)
  })

  it('write: directory → 5005, parent is a file → 5004, parent missing without parents → 5001', async () => {
    await put('d/f', 'x')
    await rejectsCode(files.write(ID, 'd', body('x'), { parents: true }), 5005)
    await rejectsCode(files.write(ID, '', body('x'), { parents: true }), 5005)
    await rejectsCode(files.write(ID, 'd/f/g', body('x'), { parents: true }), 5004)
    await rejectsCode(files.write(ID, 'new/g', body('x'), { parents: false }), 5001)
    await assert.rejects(fs.stat(join(f.ws, 'new')), { code: 'ENOENT' })
    const info = await files.write(ID, 'd/g', body('ok'), { parents: false })
    assert.equal(info.size, 2)
  })

  it('an oversized upload is 1004 and leaves nothing behind, old content intact', async () => {
    await put('f', 'old')
    const err = await rejectsCode(
      files.write(ID, 'f', body(Buffer.alloc(1000), Buffer.alloc(25)), { parents: true }),
      1004,
    )
    assert.equal(err.status, 413)
    await rejectsCode(files.write(ID, 'new', body(Buffer.alloc(2000)), { parents: true }), 1004)
    assert.deepEqual(await fs.readdir(f.ws), ['f'])
    assert.equal(await fs.readFile(join(f.ws, 'f'), 'utf8'), 'old')
    // Exactly at the cap is fine.
    assert.equal(
      (await files.write(ID, 'cap', body(Buffer.alloc(1024)), { parents: true })).size,
      1024,
    )
  })

  it('a body that fails mid-way leaves no file and no temp file', async () => {
    await put('keep', 'old')
    await assert.rejects(files.write(ID, 'keep', failingBody(), { parents: true }), /went away/)
    await assert.rejects(files.write(ID, 'dir/new', failingBody(), { parents: true }), /went away/)
    assert.equal(await fs.readFile(join(f.ws, 'keep'), 'utf8'), 'old')
    assert.deepEqual(await fs.readdir(join(f.ws, 'dir')), [])
    assert.deepEqual((await fs.readdir(f.ws)).sort(), ['dir', 'keep'])
  })

  it('the read stream closes its descriptor when destroyed early', async () => {
    await fs.writeFile(join(f.ws, 'f'), Buffer.alloc(1000))
    const opened = await files.openRead(ID, 'f')
    await new Promise<void>((resolve) => {
      opened.stream.once('close', () => resolve())
      opened.stream.destroy()
    })
  })
})
