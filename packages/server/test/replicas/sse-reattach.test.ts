/**
 * A process's output stream survives a change of replica: read part of it on
 * one, drop the connection, and follow it on the other from the last event
 * id; every line arrives exactly once, in order.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TEST_TEMPLATE, expectStatus, readSse, type SseEvent } from './client.js'
import { useCluster } from './cluster.js'

const cluster = useCluster()

const LINES = 50
const SCRIPT = `for i in $(seq 1 ${LINES}); do echo line $i; sleep 0.05; done`
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line ${i + 1}`)

function stdoutOf(events: SseEvent[]): string {
  return events
    .filter((event) => event.event === 'stdout')
    .map((event) => event.data.data as string)
    .join('')
}

/** Reads an SSE stream to its end (bounded by `readSse`). */
async function readAll(url: string, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const events: SseEvent[] = []
  for await (const event of readSse(url, { headers })) events.push(event)
  return events
}

test(
  'output followed on A, dropped, and re-attached on B from the last event id: every line once, in order',
  cluster.logged(async () => {
    const { a, b } = cluster.current
    const workspace = await expectStatus(201, a.url, 'POST', '/v1/workspaces', { name: 'sse' })
    const sandbox = await expectStatus(201, a.url, 'POST', '/v1/sandboxes', {
      workspace_id: workspace.id,
      template: TEST_TEMPLATE,
    })
    const processes = `/v1/sandboxes/${sandbox.id}/processes`

    // Through A: the start event and the first few lines, then the connection is dropped.
    const first: SseEvent[] = []
    let pid: number | undefined
    for await (const event of readSse(`${a.url}${processes}`, {
      method: 'POST',
      body: { cmd: 'sh', args: ['-c', SCRIPT] },
    })) {
      first.push(event)
      if (event.event === 'start') pid = event.data.pid as number
      if (stdoutOf(first).split('\n').length > 5) break
    }
    assert.ok(pid, `no start event in ${JSON.stringify(first)}`)
    const lastId = first.at(-1)!.id
    assert.ok(lastId !== undefined, 'events carry ids')
    assert.ok(
      !first.some((event) => event.event === 'exit'),
      'the process was still running when A was dropped',
    )

    // Through B: from the last id seen, to the end.
    const rest = await readAll(`${b.url}${processes}/${pid}/output?after=${lastId}`)
    assert.equal(rest.at(-1)?.event, 'exit', JSON.stringify(rest.at(-1)))
    assert.equal(rest.at(-1)?.data.code, 0)
    assert.ok(
      rest.every((event) => event.id === undefined || event.id > lastId),
      'nothing at or before the last id seen is sent again',
    )
    const lines = (stdoutOf(first) + stdoutOf(rest)).split('\n')
    assert.equal(lines.pop(), '', 'the output ends with a newline')
    assert.deepEqual(lines, EXPECTED)

    // Last-Event-ID (what a browser's EventSource sends) re-attaches the same way, on A.
    const again = await readAll(`${a.url}${processes}/${pid}/output`, {
      'last-event-id': String(lastId),
    })
    assert.equal(stdoutOf(again), stdoutOf(rest))

    await expectStatus(204, b.url, 'DELETE', `/v1/sandboxes/${sandbox.id}?force=true`)
    await expectStatus(204, b.url, 'DELETE', `/v1/workspaces/${workspace.id}`)
  }),
)
