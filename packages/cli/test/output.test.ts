import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FileNotFoundError, WorkspaceError, type FileInfo, type Workspace } from 'workspace-sdk'
import {
  formatDetails,
  formatErrorJson,
  formatErrorLine,
  formatFileTable,
  formatJson,
  formatMetadata,
  formatSize,
  formatTable,
  formatTime,
  formatWorkspaceDetails,
  formatWorkspaceTable,
  printable,
} from '../src/output.js'

const workspace: Workspace = {
  id: 'ws_1',
  name: 'demo',
  metadata: { team: 'core', env: 'dev' },
  nfsUrl: null,
  createdAt: '2026-11-24T10:00:05.123Z',
  updatedAt: '2026-11-24T11:30:00.000Z',
  quotaBytes: 20 * 1024 ** 2,
  usedBytes: 1536,
}

function file(name: string, type: FileInfo['type'], size: number): FileInfo {
  return { name, path: `d/${name}`, type, size, modifiedAt: '2026-11-24T10:00:05.000Z' }
}

describe('formatTable', () => {
  test('aligns columns with two spaces and no trailing whitespace', () => {
    const text = formatTable(
      ['A', 'LONG HEADER', 'C'],
      [
        ['x', 'y', 'z'],
        ['wide value', '', 'end'],
      ],
    )
    assert.equal(
      text,
      'A           LONG HEADER  C\nx           y            z\nwide value               end\n',
    )
  })

  test('right-aligns the columns asked for', () => {
    assert.equal(
      formatTable(
        ['N', 'SIZE'],
        [
          ['a', '1 B'],
          ['b', '10.0 KiB'],
        ],
        ['left', 'right'],
      ),
      'N      SIZE\na       1 B\nb  10.0 KiB\n',
    )
  })

  test('prints only the header for no rows', () => {
    assert.equal(formatTable(['ID', 'NAME'], []), 'ID  NAME\n')
  })
})

test('formatSize uses binary units with one decimal', () => {
  assert.deepEqual(
    [0, 1, 1023, 1024, 1536, 20 * 1024 ** 2, 1024 ** 3, 5 * 1024 ** 5].map(formatSize),
    ['0 B', '1 B', '1023 B', '1.0 KiB', '1.5 KiB', '20.0 MiB', '1.0 GiB', '5.0 PiB'],
  )
})

test('formatTime prints UTC to the second, or - when unknown', () => {
  assert.equal(formatTime('2026-11-24T10:00:05.999Z'), '2026-11-24 10:00:05')
  assert.equal(formatTime('2026-11-24T12:00:00+02:00'), '2026-11-24 10:00:00')
  assert.equal(formatTime(null), '-')
  assert.equal(formatTime('not a time'), '-')
})

test('formatMetadata joins entries, or - for none', () => {
  assert.equal(formatMetadata({ a: '1', b: 'x=y' }), 'a=1, b=x=y')
  assert.equal(formatMetadata({}), '-')
  assert.equal(formatMetadata(null), '-')
})

test('printable escapes control characters from untrusted names', () => {
  assert.equal(printable('ok name.txt'), 'ok name.txt')
  assert.equal(printable('evil\u001b[2Jname\n'), 'evil\\x1b[2Jname\\x0a')
})

test('formatWorkspaceTable', () => {
  const unnamed = {
    ...workspace,
    id: 'ws_22',
    name: null,
    metadata: null,
    quotaBytes: null,
    usedBytes: null,
  }
  assert.equal(
    formatWorkspaceTable([workspace, unnamed]),
    [
      'ID     NAME  CREATED (UTC)           QUOTA     USED  METADATA',
      'ws_1   demo  2026-11-24 10:00:05  20.0 MiB  1.5 KiB  team=core, env=dev',
      'ws_22  -     2026-11-24 10:00:05      none        -  -',
      '',
    ].join('\n'),
  )
})

test('formatWorkspaceDetails and formatDetails align values', () => {
  assert.equal(
    formatDetails([
      ['a', '1'],
      ['long', '2'],
    ]),
    'a:     1\nlong:  2\n',
  )
  assert.equal(
    formatWorkspaceDetails(workspace),
    [
      'id:        ws_1',
      'name:      demo',
      'created:   2026-11-24 10:00:05 UTC',
      'updated:   2026-11-24 11:30:00 UTC',
      'nfs url:   -',
      'quota:     20.0 MiB',
      'used:      1.5 KiB',
      'metadata:  team=core, env=dev',
      '',
    ].join('\n'),
  )
})

test('formatFileTable marks directories and right-aligns sizes', () => {
  const listing = [
    file('src', 'directory', 4096),
    file('a.txt', 'file', 12),
    file('l', 'symlink', 5),
  ]
  assert.equal(
    formatFileTable(listing),
    [
      'TYPE     SIZE  MODIFIED (UTC)       NAME',
      'dir   4.0 KiB  2026-11-24 10:00:05  src/',
      'file     12 B  2026-11-24 10:00:05  a.txt',
      'link      5 B  2026-11-24 10:00:05  l',
      '',
    ].join('\n'),
  )
})

test('formatJson prints the SDK objects as they are (camelCase)', () => {
  assert.deepEqual(JSON.parse(formatJson(workspace)), workspace)
  assert.ok(formatJson([]).endsWith('\n'))
})

describe('error output', () => {
  const notFound = new FileNotFoundError({
    code: 5001,
    status: 404,
    message: "'x' does not exist",
    details: { path: 'x' },
  })

  test('the line names the code when there is one', () => {
    assert.equal(formatErrorLine(notFound), "wm: 'x' does not exist (code 5001)\n")
    const offline = new WorkspaceError({ code: 0, message: 'connect ECONNREFUSED', details: {} })
    assert.equal(formatErrorLine(offline), 'wm: connect ECONNREFUSED\n')
    assert.equal(formatErrorLine(new Error('plain')), 'wm: plain\n')
  })

  test('the JSON object carries name, code, status, details and the exit code', () => {
    assert.deepEqual(JSON.parse(formatErrorJson(notFound, 3)), {
      error: {
        name: 'FileNotFoundError',
        message: "'x' does not exist",
        code: 5001,
        status: 404,
        details: { path: 'x' },
        exitCode: 3,
      },
    })
    assert.deepEqual(JSON.parse(formatErrorJson(new Error('plain'), 1)).error, {
      name: 'Error',
      message: 'plain',
      code: 0,
      status: 0,
      details: {},
      exitCode: 1,
    })
  })
})
