import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { createWorkspace, testApp } from './helpers/app.js'

/*
 * A download streams the file over a descriptor of its own, over a real
 * socket: the bytes arrive whole, and the descriptor is closed when the
 * download ends and when its client goes away midway.
 */

const MiB = 2 ** 20

/** How many descriptors of this process are open on `file`. */
async function openOn(file: string): Promise<number> {
  let count = 0
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '')
    if (target === file) count++
  }
  return count
}

/** Waits until no descriptor of this process is open on `file` (closing is asynchronous). */
async function allClosed(file: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await openOn(file)) === 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.fail(`a descriptor is still open on ${file}`)
}

test('a download arrives whole and closes its descriptor, at its end and when its client goes away', async (t) => {
  const { app, config } = await testApp(t)
  const id = await createWorkspace(app)
  // Larger than the socket buffers, so a client that stops reading holds the server mid-file.
  const content = randomBytes(64 * MiB)
  const put = await app.inject({
    method: 'PUT',
    url: `/v1/workspaces/${id}/files/content?path=big.bin`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: content,
  })
  assert.equal(put.statusCode, 201, put.body)
  const file = await fs.realpath(path.join(config.dataDir, 'workspaces', id, 'big.bin'))
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  const url = new URL(`/v1/workspaces/${id}/files/content?path=big.bin`, base)

  const whole = await new Promise<{ status: number; length: string; sha256: string }>(
    (resolve, reject) => {
      http
        .get(url, (res) => {
          const hash = createHash('sha256')
          res.on('data', (chunk: Buffer) => hash.update(chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              length: res.headers['content-length'] ?? '',
              sha256: hash.digest('hex'),
            }),
          )
          res.on('error', reject)
        })
        .on('error', reject)
    },
  )
  assert.equal(whole.status, 200)
  assert.equal(whole.length, String(content.length))
  assert.equal(whole.sha256, createHash('sha256').update(content).digest('hex'))
  await allClosed(file)

  // A client that reads a little, stops, and goes away.
  const request = http.get(url)
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.on('response', resolve).on('error', reject)
  })
  assert.equal(response.statusCode, 200)
  await new Promise((resolve) => response.once('data', resolve))
  response.pause()
  assert.equal(await openOn(file), 1, 'the server holds the file open while it streams it')
  request.on('error', () => undefined)
  request.destroy()
  await allClosed(file)
})
