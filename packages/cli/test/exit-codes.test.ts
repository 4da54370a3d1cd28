import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { allErrorCodes } from '@workspace-manager/protocol'
import { CommanderError, InvalidArgumentError } from 'commander'
import { sdkError, WorkspaceClient, WorkspaceError } from 'workspace-sdk'
import { localTarget } from '../src/commands/files.js'
import { parseMetaEntry } from '../src/commands/workspace.js'
import { ExitCode, exitCodeFor, UsageError } from '../src/exit-codes.js'

function expectedFor(code: number, status: number): number {
  if (code === 3002) return ExitCode.TIMED_OUT
  if ([1002, 1003, 6001, 6002].includes(code)) return ExitCode.AUTH
  if (status === 404) return ExitCode.NOT_FOUND
  if (status === 409) return ExitCode.CONFLICT
  if ([502, 503, 504].includes(status)) return ExitCode.UNAVAILABLE
  return ExitCode.ERROR
}

describe('every protocol error code maps to a documented exit code', () => {
  for (const row of allErrorCodes()) {
    test(`${row.code} (${row.status}) -> ${expectedFor(row.code, row.status)}`, () => {
      const error = sdkError({ code: row.code, message: row.key })
      assert.equal(exitCodeFor(error), expectedFor(row.code, row.status))
    })
  }

  test('spot checks against the documented table', () => {
    const exit = (code: number) => exitCodeFor(sdkError({ code, message: '' }))
    assert.equal(exit(5001), 3)
    assert.equal(exit(7001), 3)
    assert.equal(exit(1007), 3)
    assert.equal(exit(1002), 4)
    assert.equal(exit(6002), 4)
    assert.equal(exit(5003), 5)
    assert.equal(exit(7002), 5)
    assert.equal(exit(1006), 6)
    assert.equal(exit(5006), 1)
    assert.equal(exit(1000), 1)
    assert.equal(exit(3002), 124)
  })
})

describe('client-side failures', () => {
  test('no reply and timeouts mean the server is unavailable (6)', () => {
    for (const reason of ['network', 'timeout']) {
      const error = new WorkspaceError({ code: 0, message: 'x', details: { reason } })
      assert.equal(exitCodeFor(error), ExitCode.UNAVAILABLE)
    }
  })

  test('configuration errors are usage errors (2)', () => {
    const error = (() => {
      try {
        new WorkspaceClient({ apiUrl: 'http://example.com', env: {} })
      } catch (caught) {
        return caught
      }
    })()
    assert.equal(exitCodeFor(error), ExitCode.USAGE)
  })

  test('other SDK and unknown errors are generic (1)', () => {
    const local = new WorkspaceError({ code: 0, message: 'x', details: { reason: 'local-file' } })
    assert.equal(exitCodeFor(local), ExitCode.ERROR)
    assert.equal(exitCodeFor(new Error('boom')), ExitCode.ERROR)
    assert.equal(exitCodeFor('string'), ExitCode.ERROR)
  })

  test('a bare HTTP status still maps (non-JSON error bodies)', () => {
    assert.equal(exitCodeFor(new WorkspaceError({ code: 0, status: 409, message: '' })), 5)
    assert.equal(exitCodeFor(new WorkspaceError({ code: 0, status: 502, message: '' })), 6)
  })
})

describe('usage errors', () => {
  test('commander usage errors are 2, help and version are 0', () => {
    assert.equal(exitCodeFor(new CommanderError(1, 'commander.unknownCommand', 'x')), 2)
    assert.equal(exitCodeFor(new CommanderError(1, 'commander.help', 'x')), 2)
    assert.equal(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', 'x')), 0)
    assert.equal(exitCodeFor(new UsageError('bad')), 2)
  })

  test('--meta entries need key=value', () => {
    assert.deepEqual(parseMetaEntry('a=1', { b: '2' }), { b: '2', a: '1' })
    assert.deepEqual(parseMetaEntry('url=x=y'), { url: 'x=y' })
    assert.deepEqual(parseMetaEntry('empty='), { empty: '' })
    assert.throws(() => parseMetaEntry('novalue'), InvalidArgumentError)
    assert.throws(() => parseMetaEntry('=v'), InvalidArgumentError)
  })

  test('LOCALFILE defaults to the basename of PATH, - is kept, no name is a usage error', () => {
    assert.equal(localTarget('dir/notes.txt', undefined), 'notes.txt')
    assert.equal(localTarget('dir/sub/', undefined), 'sub')
    assert.equal(localTarget('dir/notes.txt', '-'), '-')
    assert.equal(localTarget('a', 'elsewhere.txt'), 'elsewhere.txt')
    assert.throws(() => localTarget('', undefined), UsageError)
    assert.throws(() => localTarget('.', undefined), UsageError)
  })
})
