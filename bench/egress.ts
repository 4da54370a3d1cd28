/**
 * The egress gateway: a sandbox in `allowlist` mode reaching an origin named
 * in WM_EGRESS_HOSTS_FILE through the gateway (HTTP proxied per request on
 * 80, TLS spliced by server name on 443), beside a sandbox in `bridge` mode
 * reaching the same origin directly (the engine's default bridge, routed by
 * the host). The origin runs in a network namespace of its own (see
 * bench/egress-origin.ts for why there); the client is one python process
 * in each sandbox (bench/egress-client.py), which times its own requests,
 * so no exec or process start is in the figures. Both sides run in turn,
 * so what else loads the host falls on both.
 * Rows: HTTP GET with and without keep-alive and HTTPS GET with keep-alive
 * (p50/p95 of single requests), and a download of `bytes` over HTTP and
 * over HTTPS (seconds, MB/s).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { buildApp } from '../packages/server/src/app.js'
import { loadConfig } from '../packages/server/src/config/index.js'
import { startNamespacedOrigin } from './egress-origin.js'
import { expectJson, jsonClient, type Requester } from './http.js'
import { rateFields, secondsRow } from './streaming.js'
import type { BenchTable } from './table.js'

const CLIENT = path.join(import.meta.dirname, 'egress-client.py')

/** What the egress rows need. */
export interface EgressBench {
  template: string
  /** Sequential GETs timed per side and keep-alive setting, in `rounds` alternated batches. */
  requests: number
  rounds: number
  /** Bytes of each download, and downloads timed per side and scheme. */
  bytes: number
  downloads: number
  table: BenchTable
}

/** Runs the benchmark client in `sandboxId` and parses what it prints. */
async function client(request: Requester, sandboxId: string, args: string[]): Promise<unknown> {
  const reply = expectJson<{ exit_code: number; stdout: string; stderr: string }>(
    await request('POST', `/v1/sandboxes/${sandboxId}/processes`, {
      cmd: 'python3',
      args: ['/workspace/egress-client.py', ...args],
    }),
    200,
    'egress client',
  )
  if (reply.exit_code !== 0) throw new Error(`egress client ${args.join(' ')}: ${reply.stderr}`)
  return JSON.parse(reply.stdout)
}

/** Runs `a` and `b` `times` times each, in turn, `a` first on even turns. */
async function alternate(
  times: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (i % 2 === 0) {
      await a()
      await b()
    } else {
      await b()
      await a()
    }
  }
}

/** The rows, on a server of their own whose gateway knows the origin's name. */
export async function egressRows(bench: EgressBench): Promise<void> {
  const { table } = bench
  const origin = await startNamespacedOrigin()
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-bench-egress-'))
  try {
    const config = loadConfig({
      ...process.env,
      WM_DATA_DIR: dataDir,
      WORKSPACE_DEFAULT_IMAGE: bench.template,
      WM_NFS_ENABLED: 'false',
      WM_EGRESS_HOSTS_FILE: origin.hostsFile,
      // The origin is on 198.18.0.0/15, which the gateway dials like any public
      // address: no WM_EGRESS_PRIVATE_ALLOW, the policy is the product's default.
    })
    const app = await buildApp(config, { logger: pino({ level: 'warn' }) })
    const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
    const { request, close } = jsonClient(base)
    const made: string[] = []
    try {
      const workspace = expectJson<{ id: string }>(
        await request('POST', '/v1/workspaces', {}),
        201,
        'workspace',
      )
      const sandbox = async (body: Record<string, unknown>) => {
        const created = expectJson<{ id: string }>(
          await request('POST', '/v1/sandboxes', { workspace_id: workspace.id, ...body }),
          201,
          'sandbox',
        )
        made.push(created.id)
        return created.id
      }
      const gated = await sandbox({ network: { mode: 'allowlist', allow: ['origin.bench.test'] } })
      const direct = await sandbox({ network_mode: 'bridge' })
      const files = path.join(config.dataDir, 'workspaces', workspace.id)
      await fs.copyFile(CLIENT, path.join(files, 'egress-client.py'))
      await fs.writeFile(path.join(files, 'origin.pem'), origin.certPem)
      // Behind the gateway the name resolves (to the gateway); the bridge sandbox dials the origin.
      const via = { [gated]: '-', [direct]: origin.address }

      const latencies = [
        ['http', false],
        ['http', true],
        ['https', true],
      ] as const
      for (const [scheme, keepalive] of latencies) {
        const samples: Record<string, number[]> = { [gated]: [], [direct]: [] }
        const batch = Math.max(1, Math.round(bench.requests / bench.rounds))
        const one = (id: string) => async () => {
          const args = ['latency', scheme, via[id]!, String(batch), keepalive ? '1' : '0']
          if (scheme === 'https') args.push('/workspace/origin.pem')
          samples[id]!.push(...((await client(request, id, args)) as number[]))
        }
        await alternate(bench.rounds, one(gated), one(direct))
        const how = keepalive ? 'keep-alive' : 'a new connection each'
        table.latency(
          `${scheme.toUpperCase()} GET through the egress gateway, ${how}`,
          samples[gated]!,
          samples[direct]!,
          'bridge mode, direct',
          {
            oursLabel: 'allowlist mode',
            note: `timed in the sandbox by one python process, ${keepalive ? 'one connection for all requests' : 'connect + GET + close per request'}; origin in a network namespace`,
          },
        )
      }

      const mib = bench.bytes / 2 ** 20
      for (const scheme of ['http', 'https'] as const) {
        const seconds: Record<string, number[]> = { [gated]: [], [direct]: [] }
        const one = (id: string) => async () => {
          const args = ['download', scheme, via[id]!, String(bench.bytes)]
          if (scheme === 'https') args.push('/workspace/origin.pem')
          seconds[id]!.push((await client(request, id, args)) as number)
        }
        // One untimed download each first: the page cache, the first connection, JIT.
        await one(gated)()
        await one(direct)()
        seconds[gated] = []
        seconds[direct] = []
        await alternate(bench.downloads, one(gated), one(direct))
        const ms = (list: number[]) => list.map((s) => s * 1000)
        const { rateMBps, note } = rateFields(bench.bytes, seconds[gated]!, seconds[direct]!)
        table.add({
          ...secondsRow(
            `download ${mib} MiB through the egress gateway (${scheme.toUpperCase()})`,
            ms(seconds[gated]!),
            ms(seconds[direct]!),
          ),
          oursLabel: 'allowlist mode',
          baselineLabel: 'bridge mode, direct',
          rateMBps,
          note: `${note}; target: within 1.2x of bridge; python client reading 1 MiB at a time`,
        })
      }
    } finally {
      for (const id of made) await request('DELETE', `/v1/sandboxes/${id}?force=true`)
      close()
      await app.close()
    }
  } finally {
    await origin.close()
    await fs.rm(dataDir, { recursive: true, force: true })
  }
}
