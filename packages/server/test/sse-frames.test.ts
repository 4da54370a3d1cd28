import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sseFrame } from '../src/sse/agent-events.js'
import { AgentEventFramer } from '../src/sse/event-framer.js'

/*
 * The relay frames plain output lines from the agent's JSON literal without
 * decoding it: the frame must be the one decoding and encoding would give.
 */

const tricky = [
  'hi\n',
  'y\n'.repeat(1000),
  'a "quoted" word',
  'ends with a quote"',
  'ends like a line"}',
  'back\\slash\\',
  '\\"}',
  'tab\tcr\r\u0000nul',
  'ünïcödé ✓ 𝄞',
  '\u2028\u2029',
  '{"seq":1,"type":"stdout","data":"nested"}',
]

/** The frame's event, id and decoded data. */
function parseFrame(frame: string) {
  const fields = Object.fromEntries(
    frame
      .trimEnd()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  )
  assert.ok(frame.endsWith('\n\n'), 'a frame ends with a blank line')
  assert.equal(frame.trimEnd().split('\n').length, 3, 'no line break inside the data')
  return { id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? 'null') }
}

/**
 * The frame of `line` as text, as the relay writes it, checked the same
 * however the line is split into chunks (at every byte here).
 */
function frameOf(line: string): { frame: string; exit: boolean } {
  const bytes = Buffer.from(`${line}\n`)
  const whole = new AgentEventFramer()
  const frame = Buffer.concat(whole.push(bytes)).toString('utf8')
  for (let cut = 1; cut < bytes.length; cut++) {
    const split = new AgentEventFramer()
    const pieces = [...split.push(bytes.subarray(0, cut)), ...split.push(bytes.subarray(cut))]
    assert.equal(Buffer.concat(pieces).toString('utf8'), frame, `split at byte ${cut}`)
    assert.equal(split.sawExit, whole.sawExit)
  }
  return { frame, exit: whole.sawExit }
}

test('a plain output line is framed exactly as decoding it would frame it', () => {
  for (const type of ['stdout', 'stderr'] as const) {
    for (const [index, data] of tricky.entries()) {
      const line = JSON.stringify({ seq: index + 1, type, data })
      const { frame, exit } = frameOf(line)
      assert.equal(exit, false)
      assert.equal(frame, sseFrame(type, { data }, index + 1), JSON.stringify(data))
      assert.deepEqual(parseFrame(frame), { id: String(index + 1), event: type, data: { data } })
    }
  }
})

test('other lines are decoded: start, exit, dropped output, empty output', () => {
  assert.deepEqual(frameOf('{"seq":0,"type":"start","pid":42}'), {
    frame: sseFrame('start', { pid: 42 }, 0),
    exit: false,
  })
  assert.deepEqual(frameOf('{"seq":9,"type":"exit","code":3,"timed_out":false}'), {
    frame: sseFrame('exit', { code: 3, timed_out: false }, 9),
    exit: true,
  })
  const dropped = frameOf('{"seq":4,"type":"stdout","data":"x\\"}","dropped":10}')
  assert.equal(dropped.frame, sseFrame('stdout', { data: 'x"}', dropped: 10 }, 4))
  assert.equal(frameOf('{"seq":5,"type":"stderr"}').frame, sseFrame('stderr', { data: '' }, 5))
})

test('a chunk of many lines, split anywhere, gives their frames in order; blank lines none', () => {
  const lines = [
    '{"seq":1,"type":"start","pid":7}',
    '',
    JSON.stringify({ seq: 2, type: 'stdout', data: 'y\n'.repeat(40) }),
    '   ',
    JSON.stringify({ seq: 3, type: 'stderr', data: 'oops' }),
    '{"seq":4,"type":"exit","code":0,"timed_out":false}',
  ]
  const want =
    sseFrame('start', { pid: 7 }, 1) +
    sseFrame('stdout', { data: 'y\n'.repeat(40) }, 2) +
    sseFrame('stderr', { data: 'oops' }, 3) +
    sseFrame('exit', { code: 0, timed_out: false }, 4)
  const bytes = Buffer.from(lines.join('\n') + '\n')
  for (const size of [1, 2, 7, 63, 64, 65, 1000]) {
    const framer = new AgentEventFramer()
    const pieces: Buffer[] = []
    for (let at = 0; at < bytes.length; at += size)
      pieces.push(...framer.push(bytes.subarray(at, at + size)))
    assert.equal(Buffer.concat(pieces).toString('utf8'), want, `chunks of ${size}`)
    assert.equal(framer.sawExit, true)
  }
})
