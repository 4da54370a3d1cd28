import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { watchPods } from '../src/runtime/kubernetes/watch.js'
import type { RuntimeEvent } from '../src/runtime/types.js'

/*
 * The pod watch against a stand-in API server: it lists, watches from the
 * list's version, resumes after a dropped stream from the last version seen,
 * and lists again when that version has expired (410), reporting pods that
 * went meanwhile.
 */

const pod = (uid: string, version: string, terminated?: number) => ({
  metadata: { uid, name: uid, resourceVersion: version, labels: { 'wm.sandbox': `sb_${uid}` } },
  status: {
    phase: terminated === undefined ? 'Running' : 'Failed',
    containerStatuses: [
      {
        name: 'sandbox',
        image: 'x',
        imageID: 'x',
        ready: terminated === undefined,
        restartCount: 0,
        state:
          terminated === undefined ? { running: {} } : { terminated: { exitCode: terminated } },
      },
    ],
  },
})

test('the pod watch resumes from its version and lists again when it expired', async (t) => {
  const watches: string[] = []
  let lists = 0
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x')
    response.setHeader('content-type', 'application/json')
    if (url.searchParams.get('watch') !== 'true') {
      lists += 1
      // The first list has pods a and b; the second (after expiry) has neither: b went unseen.
      const items = lists === 1 ? [pod('a', '10'), pod('b', '11')] : []
      response.end(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '20' }, items }))
      return
    }
    watches.push(url.searchParams.get('resourceVersion') ?? '')
    const line = (value: unknown) => response.write(`${JSON.stringify(value)}\n`)
    if (watches.length === 1) {
      // a ends; the stream drops.
      line({ type: 'MODIFIED', object: pod('a', '15', 137) })
      response.end()
    } else if (watches.length === 2) {
      line({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } })
      response.end()
    } else {
      // Stays open until the test ends.
      line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '21' } } })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  const events: RuntimeEvent[] = []
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const stop = watchPods(kc, kc.makeApiClient(CoreV1Api), 'ns', 'wm.managed=1', (event) => {
    events.push(event)
    if (event.sandboxId === 'sb_b') resolveDone()
  })
  t.after(stop)
  await done
  assert.deepEqual(events, [
    { type: 'exited', sandboxId: 'sb_a', exitCode: 137 },
    { type: 'exited', sandboxId: 'sb_b', exitCode: null },
  ])
  // Watched from the list's version, resumed from the last event's; b's exit came from the list
  // made after the 410.
  assert.deepEqual(watches.slice(0, 2), ['20', '15'])
  assert.equal(lists, 2)
})
