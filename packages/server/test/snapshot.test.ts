import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { copyTree, replaceContents } from '../src/storage/snapshot.js'
import { tempDir } from './helpers/app.js'

test('copyTree keeps contents, symlinks, owners, modes and times; leaves out FIFOs', async (t) => {
  const root = await tempDir(t)
  const src = path.join(root, 'src')
  await fs.mkdir(path.join(src, 'a/b'), { recursive: true })
  await fs.writeFile(path.join(src, 'a/b/file'), 'hello')
  await fs.chown(path.join(src, 'a/b/file'), 1234, 2345)
  await fs.chmod(path.join(src, 'a/b/file'), 0o4751)
  await fs.utimes(path.join(src, 'a/b/file'), 1000, 2000)
  await fs.symlink('/etc/passwd', path.join(src, 'a/escape'))
  await fs.symlink('b/file', path.join(src, 'a/inside'))
  await fs.chmod(path.join(src, 'a'), 0o1750)
  execFileSync('mkfifo', [path.join(src, 'fifo')])

  const dst = path.join(root, 'dst')
  await copyTree(src, dst)
  assert.equal(await fs.readFile(path.join(dst, 'a/b/file'), 'utf8'), 'hello')
  const st = await fs.stat(path.join(dst, 'a/b/file'))
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777, st.mtimeMs], [1234, 2345, 0o751, 2000_000])
  assert.equal(await fs.readlink(path.join(dst, 'a/escape')), '/etc/passwd')
  assert.equal(await fs.readlink(path.join(dst, 'a/inside')), 'b/file')
  assert.equal((await fs.stat(path.join(dst, 'a'))).mode & 0o7777, 0o1750)
  await assert.rejects(fs.lstat(path.join(dst, 'fifo')), { code: 'ENOENT' })
})

test('copyTree never follows a directory swapped for a symlink mid-copy', async (t) => {
  const root = await tempDir(t)
  const secret = path.join(root, 'host-secret')
  await fs.mkdir(secret)
  await fs.writeFile(path.join(secret, 'shadow'), 'SECRET')
  const src = path.join(root, 'src')
  await fs.mkdir(src)
  const dir = path.join(src, 'dir')
  const aside = path.join(src, 'aside')
  await fs.mkdir(dir)
  await fs.writeFile(path.join(dir, 'shadow'), 'harmless')
  for (let i = 0; i < 100; i++) await fs.writeFile(path.join(src, `pad${i}`), 'x')

  // Another process swaps dir <-> a symlink to the secret directory as fast as it can.
  const swapper = spawn('python3', [
    '-c',
    `import os, sys
d, aside, secret = sys.argv[1:]
while True:
    os.rename(d, aside); os.symlink(secret, d); os.unlink(d); os.rename(aside, d)`,
    dir,
    aside,
    secret,
  ])
  const seen = new Set<string>()
  try {
    for (let round = 0; round < 12 || (seen.size < 2 && round < 60); round++) {
      const dst = path.join(root, `dst${round}`)
      await copyTree(src, dst)
      // grep -r (unlike -R) does not follow symlinks; status 1 means no match.
      const grep = spawnSync('grep', ['-rl', 'SECRET', dst], { encoding: 'utf8' })
      assert.equal(grep.status, 1, `round ${round} copied the host's file: ${grep.stdout}`)
      const copied = await fs.lstat(path.join(dst, 'dir')).catch(() => undefined)
      seen.add(copied?.isSymbolicLink() ? 'symlink' : copied?.isDirectory() ? 'dir' : 'none')
    }
  } finally {
    swapper.kill()
  }
  assert.ok(seen.size > 1, `the swap never showed (${[...seen]}): the race was not exercised`)
})

test('replaceContents swaps the entries by renames and applies the root metadata', async (t) => {
  const root = await tempDir(t)
  const target = path.join(root, 'target')
  const replacement = path.join(root, 'replacement')
  await fs.mkdir(path.join(target, 'old/dir'), { recursive: true })
  await fs.writeFile(path.join(target, 'same'), 'old')
  await fs.mkdir(path.join(replacement, 'new'), { recursive: true })
  await fs.writeFile(path.join(replacement, 'same'), 'new')
  await fs.symlink('/', path.join(replacement, 'root-link'))
  await fs.chmod(replacement, 0o750)
  const inode = (await fs.stat(target)).ino

  await replaceContents(target, replacement, path.join(root, 'trash'))
  assert.deepEqual((await fs.readdir(target)).sort(), ['new', 'root-link', 'same'])
  assert.equal(await fs.readFile(path.join(target, 'same'), 'utf8'), 'new')
  assert.equal(await fs.readlink(path.join(target, 'root-link')), '/')
  assert.equal((await fs.stat(target)).mode & 0o777, 0o750)
  assert.equal(
    (await fs.stat(target)).ino,
    inode,
    'the directory itself stays (mounts and exports keep it)',
  )
  assert.deepEqual(await fs.readdir(replacement), [])
  assert.deepEqual((await fs.readdir(path.join(root, 'trash'))).sort(), ['0-old', '1-same'])
})
