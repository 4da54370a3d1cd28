import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readSse, SseParser, type SseEvent } from '../src/sse.js'

/** Feeds the chunks in order and returns every event, the end of stream included. */
function parse(...chunks: (string | Uint8Array)[]): SseEvent[] {
  const parser = new SseParser()
  return [...chunks.flatMap((chunk) => parser.feed(chunk)), ...parser.end()]
}

describe('SseParser', () => {
  test('named events with ids, one per blank line', () => {
    assert.deepEqual(
      parse('id: 1\nevent: start\ndata: {"pid":7}\n\nid: 2\nevent: exit\ndata: x\n\n'),
      [
        { event: 'start', data: '{"pid":7}', id: '1' },
        { event: 'exit', data: 'x', id: '2' },
      ],
    )
  })

  test('an event without a type is a message; data lines join with newlines', () => {
    assert.deepEqual(parse('data: a\ndata:b\ndata:  c\ndata\n\n'), [
      { event: 'message', data: 'a\nb\n c\n', id: undefined },
    ])
  })

  test('CRLF, lone CR and LF line ends all work, mixed', () => {
    assert.deepEqual(parse('event: e\r\ndata: 1\r\rdata: 2\n\r\n'), [
      { event: 'e', data: '1', id: undefined },
      { event: 'message', data: '2', id: undefined },
    ])
  })

  test('a CRLF split across chunks is one line end, not two', () => {
    assert.deepEqual(parse('data: a\r', '\ndata: b\r', '\n\r', '\n'), [
      { event: 'message', data: 'a\nb', id: undefined },
    ])
  })

  test('a final lone CR is a line end at the end of the stream', () => {
    assert.deepEqual(parse('data: a\r\r'), [{ event: 'message', data: 'a', id: undefined }])
  })

  test('comments and unknown fields are ignored; retry is not data', () => {
    assert.deepEqual(parse(': keep-alive\n\n:\nretry: 100\nfoo: bar\ndata: x\n\n'), [
      { event: 'message', data: 'x', id: undefined },
    ])
  })

  test('a blank line without data dispatches nothing and resets the event type', () => {
    assert.deepEqual(parse('event: a\n\ndata: x\n\n'), [
      { event: 'message', data: 'x', id: undefined },
    ])
  })

  test('the last id carries over to later events; an id with NUL is ignored', () => {
    assert.deepEqual(parse('id: 5\ndata: a\n\ndata: b\n\nid: 6\0\ndata: c\n\nid\ndata: d\n\n'), [
      { event: 'message', data: 'a', id: '5' },
      { event: 'message', data: 'b', id: '5' },
      { event: 'message', data: 'c', id: '5' },
      { event: 'message', data: 'd', id: '' },
    ])
  })

  test('a field name without a colon has an empty value; only one leading space is dropped', () => {
    assert.deepEqual(parse('data\ndata:   two\n\n'), [
      { event: 'message', data: '\n  two', id: undefined },
    ])
  })

  test('an event cut off before its blank line is discarded at the end', () => {
    assert.deepEqual(parse('data: whole\n\ndata: half'), [
      { event: 'message', data: 'whole', id: undefined },
    ])
    assert.deepEqual(parse('data: half\n'), [])
  })

  test('a byte-order mark at the start is skipped, only there', () => {
    assert.deepEqual(parse('\ufeffdata: a\n\n'), [{ event: 'message', data: 'a', id: undefined }])
    assert.deepEqual(parse('data: a\n\n\ufeffdata: b\n\n'), [
      { event: 'message', data: 'a', id: undefined },
    ])
  })

  test('UTF-8 split across byte chunks survives', () => {
    const bytes = Buffer.from('data: é€😀\n\n', 'utf8')
    const chunks = [...bytes].map((byte) => new Uint8Array([byte]))
    assert.deepEqual(parse(...chunks), [{ event: 'message', data: 'é€😀', id: undefined }])
  })

  test('fields split anywhere across chunks', () => {
    const text = 'id: 12\nevent: stdout\ndata: {"data":"hi"}\n\n'
    for (let cut = 1; cut < text.length; cut++) {
      assert.deepEqual(
        parse(text.slice(0, cut), text.slice(cut)),
        [{ event: 'stdout', data: '{"data":"hi"}', id: '12' }],
        `cut at ${cut}`,
      )
    }
  })

  test('many lines in one chunk are parsed in order', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `data: ${i}\n\n`).join('')
    const events = parse(text)
    assert.equal(events.length, 5000)
    assert.equal(events[4999]?.data, '4999')
  })

  test('readSse parses an async stream of chunks', async () => {
    async function* chunks() {
      yield Buffer.from('event: a\nda')
      yield 'ta: 1\n\n'
    }
    const events: SseEvent[] = []
    for await (const event of readSse(chunks())) events.push(event)
    assert.deepEqual(events, [{ event: 'a', data: '1', id: undefined }])
  })
})
