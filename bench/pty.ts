/**
 * Keystroke echo round trip, ours beside raw Docker in one run: one byte
 * typed into `cat` on a raw, non-echoing terminal, timed until it comes back.
 *   ours: WebSocket -> server -> agent PTY
 *   raw:  dockerode exec with Tty (what `docker exec -it` attaches to)
 * A row of `npm run bench`; alone: npm run bench:pty (bench/pty.bench.ts).
 */
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import Docker from 'dockerode'
import pino from 'pino'
import WebSocket from 'ws'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import type { BenchTable } from './table.js'

const TEMPLATE = 'workspace-test:latest'
const WARMUP = 20
const SETUP = 'stty raw -echo; echo READY; exec cat\n'

/** Types one byte per run and times until `received` grows by it. */
async function timeEcho(
  runs: number,
  send: (byte: Buffer) => void,
  onData: (fn: (chunk: Buffer) => void) => void,
) {
  let waiting: (() => void) | undefined
  let expected = ''
  let seen = ''
  onData((chunk) => {
    seen += chunk.toString('latin1')
    if (waiting && seen.endsWith(expected)) waiting()
  })
  const samples: number[] = []
  for (let i = 0; i < runs + WARMUP; i++) {
    const byte = Buffer.from([97 + (i % 26)])
    expected = byte.toString('latin1')
    seen = ''
    const started = process.hrtime.bigint()
    await new Promise<void>((resolve) => {
      waiting = resolve
      send(byte)
    })
    if (i >= WARMUP) samples.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  return samples
}

async function ours(base: URL, sandboxId: string, runs: number): Promise<number[]> {
  const ws = new WebSocket(`ws://${base.host}/v1/sandboxes/${sandboxId}/pty?shell=/bin/sh`)
  const listeners: Array<(chunk: Buffer) => void> = []
  let ready: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  let banner = ''
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return
    if (banner !== 'done') {
      banner += data.toString('latin1')
      if (banner.includes('READY')) {
        banner = 'done'
        ready()
      }
      return
    }
    for (const listener of listeners) listener(data)
  })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    // Refused upgrades and dropped connections fail the row instead of the process.
    ws.on('error', reject)
  })
  ws.send(Buffer.from(SETUP), { binary: true })
  await isReady
  await new Promise((resolve) => setTimeout(resolve, 100))
  const samples = await timeEcho(
    runs,
    (byte) => ws.send(byte, { binary: true }),
    (fn) => listeners.push(fn),
  )
  ws.send(JSON.stringify({ type: 'kill' }))
  ws.close()
  return samples
}

async function raw(container: Docker.Container, runs: number): Promise<number[]> {
  const exec = await container.exec({
    Cmd: ['/bin/sh'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
  })
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex
  const listeners: Array<(chunk: Buffer) => void> = []
  let banner = ''
  let ready: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  stream.on('data', (chunk: Buffer) => {
    if (banner !== 'done') {
      banner += chunk.toString('latin1')
      if (banner.includes('READY')) {
        banner = 'done'
        ready()
      }
      return
    }
    for (const listener of listeners) listener(chunk)
  })
  stream.write(SETUP)
  await isReady
  await new Promise((resolve) => setTimeout(resolve, 100))
  const samples = await timeEcho(
    runs,
    (byte) => stream.write(byte),
    (fn) => listeners.push(fn),
  )
  stream.end()
  stream.destroy()
  return samples
}

/**
 * Times `runs` keystroke echoes over our PTY WebSocket and as many over a
 * dockerode exec with a TTY, on a sandbox of a server of its own, and
 * records the row in `table`.
 */
export async function ptyRows(options: { runs: number; table: BenchTable }): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-pty-'))
  const config = loadConfig({ ...process.env, WM_DATA_DIR: dataDir, WM_NFS_ENABLED: 'false' })
  const app = await buildApp(config, { logger: pino({ level: 'warn' }) })
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  let sandboxId: string | undefined
  try {
    const workspace = (
      await app.inject({ method: 'POST', url: '/v1/workspaces', payload: {} })
    ).json()
    const created = await app.inject({
      method: 'POST',
      url: '/v1/sandboxes',
      payload: { workspace_id: workspace.id, template: TEMPLATE },
    })
    if (created.statusCode !== 201)
      throw new Error(`sandbox: ${created.statusCode} ${created.body}`)
    sandboxId = created.json().id as string
    const oursSamples = await ours(base, sandboxId, options.runs)
    const container = new Docker().getContainer(
      `${config.sandboxDefaults.containerPrefix}${sandboxId}`,
    )
    const rawSamples = await raw(container, options.runs)
    options.table.latency(
      'keystroke echo round trip (PTY WebSocket)',
      oursSamples,
      rawSamples,
      'docker exec -it (dockerode)',
    )
  } finally {
    if (sandboxId)
      await app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandboxId}?force=true` })
    try {
      await app.close()
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true })
    }
  }
}
