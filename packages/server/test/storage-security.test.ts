import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ApiError } from '../src/errors.js'
import type { WorkspaceFiles } from '../src/storage/index.js'
import {
  CANARY,
  body,
  failingBody,
  openFds,
  readAll,
  rejectsCode,
  snapshotDir,
  storageFixture,
  type StorageFixture,
} from './helpers/storage-fixture.js'

const ID = 'ws1'
const ESCAPES = 5006
let f: StorageFixture
let files: WorkspaceFiles
let canaryBefore: string

beforeEach(async () => {
  f = await storageFixture(1024)
  files = f.files
  await fs.mkdir(join(f.ws, 'd'))
  await fs.writeFile(join(f.ws, 'd/file'), 'inside')
  await fs.writeFile(join(f.ws, 'src'), 'source')
  await fs.symlink('/etc', join(f.ws, 'etc'))
  await fs.symlink(f.outside, join(f.ws, 'out'))
  await fs.symlink(join(f.outside, 'file'), join(f.ws, 'outfile'))
  await fs.symlink('d', join(f.ws, 'inside'))
  await fs.symlink(f.outside, join(f.ws, 'd/deep'))
  canaryBefore = await snapshotDir(f.outside)
})
afterEach(async () => {
  assert.equal(await snapshotDir(f.outside), canaryBefore, 'the canary directory was touched')
  assert.equal(await fs.readFile(join(f.outside, 'file'), 'utf8'), CANARY)
  await f.cleanup()
})

describe('symlinks planted in a workspace', () => {
  it('are listed and described as symlinks', async () => {
    const list = await files.list(ID, '')
    const types = Object.fromEntries(list.map((i) => [i.name, i.type]))
    assert.deepEqual(types, {
      d: 'directory',
      etc: 'symlink',
      inside: 'symlink',
      out: 'symlink',
      outfile: 'symlink',
      src: 'file',
    })
    assert.equal((await files.info(ID, 'out')).type, 'symlink')
    assert.equal((await files.info(ID, 'etc')).size, '/etc'.length)
  })

  it('are never followed: every operation through one is 403 code 5006', async () => {
    // 'inside' points inside the workspace and is refused all the same.
    for (const [link, file] of [
      ['etc', 'passwd'],
      ['out', 'file'],
      ['inside', 'file'],
      ['d/deep', 'file'],
    ] as const) {
      const through = `${link}/${file}`
      const err = await rejectsCode(files.openRead(ID, through), ESCAPES)
      assert.equal(err.status, 403)
      assert.ok(!err.message.includes(f.tmp), 'host path leaked')
      await rejectsCode(files.info(ID, through), ESCAPES)
      await rejectsCode(files.list(ID, link), ESCAPES)
      await rejectsCode(files.list(ID, `${link}/`), ESCAPES)
      await rejectsCode(files.write(ID, through, body('pwned'), { parents: true }), ESCAPES)
      await rejectsCode(files.write(ID, `${link}/new`, body('pwned'), { parents: false }), ESCAPES)
      await rejectsCode(files.write(ID, `${link}/x/y`, body('pwned'), { parents: true }), ESCAPES)
      await rejectsCode(files.mkdir(ID, `${link}/x`, { parents: false }), ESCAPES)
      await rejectsCode(files.mkdir(ID, `${link}/x/y`, { parents: true }), ESCAPES)
      await rejectsCode(files.copy(ID, through, 'stolen', { overwrite: false }), ESCAPES)
      await rejectsCode(files.copy(ID, 'src', `${link}/copied`, { overwrite: true }), ESCAPES)
      await rejectsCode(files.move(ID, through, 'stolen', { overwrite: false }), ESCAPES)
      await rejectsCode(files.move(ID, 'src', `${link}/moved`, { overwrite: true }), ESCAPES)
      await rejectsCode(files.remove(ID, through, { recursive: true }), ESCAPES)
      await rejectsCode(files.remove(ID, through, { recursive: false }), ESCAPES)
    }
    await assert.rejects(fs.stat(join(f.ws, 'stolen')), { code: 'ENOENT' })
    assert.equal(await fs.readFile(join(f.ws, 'd/file'), 'utf8'), 'inside')
  })

  it('reading a symlink itself is 5006', async () => {
    await rejectsCode(files.openRead(ID, 'outfile'), ESCAPES)
    await rejectsCode(files.openRead(ID, 'etc'), ESCAPES)
    await rejectsCode(files.openRead(ID, 'inside'), ESCAPES)
  })

  it('writing over an existing symlink is refused and its target is unchanged', async () => {
    const err = await rejectsCode(
      files.write(ID, 'outfile', body('overwritten'), { parents: true }),
      ESCAPES,
    )
    assert.match(err.message, /'outfile' is a symlink/)
    await rejectsCode(files.write(ID, 'out', body('x'), { parents: false }), ESCAPES)
    assert.equal((await fs.readlink(join(f.ws, 'outfile'))).endsWith('file'), true)
    assert.deepEqual(
      (await fs.readdir(f.ws)).filter((n) => n.startsWith('.wm-')),
      [],
      'temp file left behind',
    )
  })

  it('copy/move never replace a symlink; without overwrite it simply exists', async () => {
    await rejectsCode(files.copy(ID, 'src', 'outfile', { overwrite: true }), ESCAPES)
    await rejectsCode(files.move(ID, 'src', 'outfile', { overwrite: true }), ESCAPES)
    await rejectsCode(files.copy(ID, 'src', 'outfile', { overwrite: false }), 5003)
    await rejectsCode(files.move(ID, 'src', 'out', { overwrite: false }), 5003)
  })

  it('copying a directory copies the symlinks in it as symlinks, and moving/removing one touches only the link', async () => {
    await files.copy(ID, 'd', 'd2', { overwrite: false })
    assert.equal(await fs.readlink(join(f.ws, 'd2/deep')), f.outside)
    await files.move(ID, 'out', 'out-moved', { overwrite: false })
    assert.equal(await fs.readlink(join(f.ws, 'out-moved')), f.outside)
    await files.remove(ID, 'out-moved', { recursive: true })
    await files.remove(ID, 'etc', { recursive: false })
    await files.remove(ID, 'd2', { recursive: true })
    await files.destroy(ID)
    assert.ok((await fs.stat('/etc/passwd')).isFile())
  })

  it('a workspace directory replaced by a symlink is not followed', async () => {
    await fs.symlink(f.outside, join(f.root, 'ws2'))
    await rejectsCode(files.list('ws2', ''), 7001)
    await rejectsCode(files.openRead('ws2', 'file'), 7001)
    await rejectsCode(files.write('ws2', 'x', body('x'), { parents: true }), 7001)
    await files.destroy('ws2')
    assert.deepEqual(await fs.readdir(f.root), ['ws1'])
  })
})

describe('descriptors', () => {
  it('no descriptor leaks over a batch of operations, failures included', async () => {
    execFileSync('mkfifo', [join(f.ws, 'fifo')])
    await fs.writeFile(join(f.ws, 'big'), Buffer.alloc(2048))
    const before = await openFds()
    const expectFail = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(err instanceof Error, 'expected a failure')
    }
    for (let round = 0; round < 5; round++) {
      await files.write(ID, `w/${round}/f`, body('data'), { parents: true })
      const opened = await files.openRead(ID, `w/${round}/f`)
      assert.equal((await readAll(opened.stream)).toString(), 'data')
      const early = await files.openRead(ID, 'src')
      await new Promise((resolve) => {
        early.stream.once('close', resolve)
        early.stream.destroy()
      })
      await files.list(ID, '')
      await files.info(ID, 'd/file')
      await files.mkdir(ID, `m/${round}`, { parents: true })
      await files.copy(ID, 'd', `c${round}`, { overwrite: false })
      await files.move(ID, `c${round}`, `mv${round}`, { overwrite: false })
      await files.remove(ID, `mv${round}`, { recursive: true })
      await expectFail(files.openRead(ID, 'out/file'))
      await expectFail(files.openRead(ID, 'fifo'))
      await expectFail(files.openRead(ID, 'big'))
      await expectFail(files.openRead(ID, 'd'))
      await expectFail(files.list(ID, 'd/file'))
      await expectFail(files.list(ID, 'nope/deeper'))
      await expectFail(files.write(ID, 'x', body(Buffer.alloc(2000)), { parents: true }))
      await expectFail(files.write(ID, 'x', failingBody(), { parents: true }))
      await expectFail(files.write(ID, 'd', body('x'), { parents: true }))
      await expectFail(files.write(ID, 'outfile', body('x'), { parents: true }))
      await expectFail(files.mkdir(ID, 'd', { parents: false }))
      await expectFail(files.copy(ID, 'd', 'd/in', { overwrite: false }))
      await expectFail(files.copy(ID, 'fifo', 'x', { overwrite: false }))
      await expectFail(files.copy(ID, 'src', 'd', { overwrite: true }))
      await expectFail(files.move(ID, 'nope', 'x', { overwrite: false }))
      await expectFail(files.remove(ID, 'w', { recursive: false }))
      await expectFail(files.remove(ID, 'missing', { recursive: false }))
      await expectFail(files.list('missing', ''))
    }
    assert.equal(await openFds(), before)
  })
})

describe('errors', () => {
  it('are ApiErrors with the documented statuses', async () => {
    const err = await rejectsCode(files.openRead(ID, 'out/file'), ESCAPES)
    assert.ok(err instanceof ApiError)
    assert.deepEqual(err.toEnvelope().error.details, { path: 'out/file' })
  })
})
