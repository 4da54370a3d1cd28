import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { liveEnv, runWm, skipLive, type RunOptions } from './support/run-wm.js'

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

describe('live: wm files', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (args: string[], options: RunOptions = {}) => runWm(args, { env, ...options })
  let ws = ''
  let dir = ''

  before(async () => {
    ws = (await wm(['workspace', 'create', '--name', 'cli-live-files'])).stdout.trim()
    dir = mkdtempSync(join(tmpdir(), 'wm-cli-'))
  })
  after(async () => {
    await wm(['workspace', 'rm', ws])
    rmSync(dir, { recursive: true, force: true })
  })

  test('put from stdin, from a file and by default name; cat', async () => {
    const fromStdin = await wm(['files', 'put', ws, 'docs/stdin.txt', '-'], {
      input: 'from stdin\n',
    })
    assert.deepEqual([fromStdin.code, fromStdin.stdout], [0, ''])
    writeFileSync(join(dir, 'local.txt'), 'from a file\n')
    const fromFile = await wm([
      '--json',
      'files',
      'put',
      ws,
      'docs/file.txt',
      join(dir, 'local.txt'),
    ])
    assert.equal(fromFile.code, 0, fromFile.stderr)
    assert.deepEqual(JSON.parse(fromFile.stdout), {
      ...JSON.parse(fromFile.stdout),
      name: 'file.txt',
      path: 'docs/file.txt',
      type: 'file',
      size: 12,
    })
    const byName = await wm(['files', 'put', ws, 'docs/local.txt'], { cwd: dir })
    assert.equal(byName.code, 0, byName.stderr)

    assert.equal((await wm(['files', 'cat', ws, 'docs/stdin.txt'])).stdout, 'from stdin\n')
    assert.equal((await wm(['files', 'cat', ws, 'docs/local.txt'])).stdout, 'from a file\n')
  })

  test('every byte value streams through put - and get -', async () => {
    assert.equal((await wm(['files', 'put', ws, 'bin/all.bin', '-'], { input: ALL_BYTES })).code, 0)
    const viaStdout = await wm(['files', 'get', ws, 'bin/all.bin', '-'])
    assert.equal(viaStdout.code, 0)
    assert.deepEqual(viaStdout.stdoutBytes, ALL_BYTES)
    assert.deepEqual((await wm(['files', 'cat', ws, 'bin/all.bin'])).stdoutBytes, ALL_BYTES)
  })

  test('get to a file, by default name and with --json', async () => {
    const target = join(dir, 'out.bin')
    const result = await wm(['--json', 'files', 'get', ws, 'bin/all.bin', target])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {
      path: 'bin/all.bin',
      localPath: target,
      bytes: 256,
    })
    assert.deepEqual(readFileSync(target), ALL_BYTES)
    const byName = await wm(['files', 'get', ws, 'bin/all.bin'], { cwd: dir })
    assert.deepEqual([byName.code, byName.stdout], [0, ''])
    assert.deepEqual(readFileSync(join(dir, 'all.bin')), ALL_BYTES)
  })

  test('ls as a table and as JSON', async () => {
    const table = await wm(['files', 'ls', ws])
    assert.equal(table.code, 0)
    assert.match(table.stdout, /^TYPE +SIZE +MODIFIED \(UTC\) +NAME\n/)
    assert.match(table.stdout, /^dir +[\d.]+ (B|KiB) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +docs\/$/m)
    const listing = JSON.parse((await wm(['--json', 'files', 'ls', ws, 'docs'])).stdout)
    assert.deepEqual(
      listing.map((f: { path: string }) => f.path),
      ['docs/file.txt', 'docs/local.txt', 'docs/stdin.txt'],
    )
    assert.deepEqual(Object.keys(listing[0]).sort(), ['modifiedAt', 'name', 'path', 'size', 'type'])
    const fileLine = await wm(['files', 'ls', ws, 'docs'])
    assert.match(fileLine.stdout, /^file +12 B +\S+ \S+ +file\.txt$/m)
  })

  test('mkdir, -p, and an existing directory exits 5', async () => {
    assert.equal((await wm(['files', 'mkdir', ws, 'made'])).code, 0)
    const nested = await wm(['--json', 'files', 'mkdir', ws, 'made/a/b', '-p'])
    assert.equal(JSON.parse(nested.stdout).type, 'directory')
    const again = await wm(['files', 'mkdir', ws, 'made'])
    assert.equal(again.code, 5)
    assert.match(again.stderr, /\(code 5003\)\n$/)
    assert.equal((await wm(['files', 'mkdir', ws, 'made', '-p'])).code, 0)
  })

  test('cp and mv, conflicts exit 5 unless --overwrite', async () => {
    assert.equal((await wm(['files', 'mkdir', ws, 'cp'])).code, 0)
    const copied = await wm(['--json', 'files', 'cp', ws, 'docs/stdin.txt', 'cp/one.txt'])
    assert.equal(JSON.parse(copied.stdout).path, 'cp/one.txt')
    const conflict = await wm(['files', 'cp', ws, 'docs/file.txt', 'cp/one.txt'])
    assert.equal(conflict.code, 5)
    assert.equal(
      (await wm(['files', 'cp', ws, 'docs/file.txt', 'cp/one.txt', '--overwrite'])).code,
      0,
    )
    assert.equal((await wm(['files', 'cat', ws, 'cp/one.txt'])).stdout, 'from a file\n')

    assert.equal((await wm(['files', 'mv', ws, 'cp/one.txt', 'cp/two.txt'])).code, 0)
    assert.equal((await wm(['files', 'cat', ws, 'cp/one.txt'])).code, 3)
    await wm(['files', 'cp', ws, 'docs/stdin.txt', 'cp/three.txt'])
    assert.equal((await wm(['files', 'mv', ws, 'cp/three.txt', 'cp/two.txt'])).code, 5)
    const moved = await wm([
      '--json',
      'files',
      'mv',
      ws,
      'cp/three.txt',
      'cp/two.txt',
      '--overwrite',
    ])
    assert.equal(JSON.parse(moved.stdout).path, 'cp/two.txt')
  })

  test('rm: a file, a non-empty directory needs -r', async () => {
    const file = await wm(['--json', 'files', 'rm', ws, 'cp/two.txt'])
    assert.deepEqual(JSON.parse(file.stdout), { path: 'cp/two.txt', deleted: true })
    await wm(['files', 'put', ws, 'tree/x/y.txt', '-'], { input: 'y' })
    const refused = await wm(['files', 'rm', ws, 'tree'])
    assert.equal(refused.code, 5)
    assert.match(refused.stderr, /\(code 5005\)\n$/)
    assert.equal((await wm(['files', 'rm', ws, 'tree', '-r'])).code, 0)
    assert.equal((await wm(['files', 'ls', ws, 'tree'])).code, 3)
  })

  test('not found and refused paths', async () => {
    const missing = await wm(['files', 'cat', ws, 'missing'])
    assert.equal(missing.code, 3)
    assert.match(missing.stderr, /^wm: .* \(code 5001\)\n$/)
    assert.equal(missing.stdout, '')
    const jsonMissing = await wm(['--json', 'files', 'cat', ws, 'missing'])
    const error = JSON.parse(jsonMissing.stderr.split('\n')[1] ?? '')
    assert.deepEqual(
      [error.error.code, error.error.exitCode, error.error.name],
      [5001, 3, 'FileNotFoundError'],
    )
    const escape = await wm(['files', 'cat', ws, '../etc/passwd'])
    assert.equal(escape.code, 1)
    assert.match(escape.stderr, /\(code 5006\)\n$/)
    const directory = await wm(['files', 'cat', ws, 'docs'])
    assert.equal(directory.code, 5)
    const noWorkspace = await wm(['files', 'ls', 'no-such-workspace'])
    assert.equal(noWorkspace.code, 3)
    assert.match(noWorkspace.stderr, /\(code 7001\)\n$/)
    const localMissing = await wm(['files', 'put', ws, 'x.txt', join(dir, 'absent.txt')])
    assert.equal(localMissing.code, 1)
    assert.match(localMissing.stderr, /absent\.txt/)
  })
})
