import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import pino from 'pino'
import { blockListOf, forbiddenAddresses, parseCidr } from '../../src/egress/addresses.js'
import { LeafCertificates } from '../../src/egress/certificates.js'
import { EgressDecisions } from '../../src/egress/decisions.js'
import { DenialLog } from '../../src/egress/denials.js'
import { HttpGateway } from '../../src/egress/http-gateway.js'
import type { NetworkPolicy } from '../../src/egress/policy.js'
import { TlsTerminator } from '../../src/egress/tls-terminator.js'
import { Upstream } from '../../src/egress/upstream.js'

/*
 * The plain-HTTP gateway alone on loopback, without the engine: sandboxes
 * are loopback source addresses (a client binds 127.0.0.2 to be sandbox
 * "a"), their policies a map the test changes as a PATCH would, and
 * `origin.test` names 127.0.0.1. It is the explicit proxy (absolute URLs),
 * so the origin can listen on any port; the transparent one differs only in
 * where it reads the destination.
 */

/** Source address of each sandbox. */
export const SANDBOXES = { a: '127.0.0.2', b: '127.0.0.3' } as const

export interface Harness {
  port: number
  /** Policies by sandbox id, read on every request. */
  policies: Map<string, NetworkPolicy>
  close(): Promise<void>
}

/** Starts the proxy on 127.0.0.1 for sandboxes a and b, both `open`. */
export async function startHarness(): Promise<Harness> {
  const byAddress = new Map<string, string>(
    Object.entries(SANDBOXES).map(([id, address]) => [address, id]),
  )
  const policies = new Map<string, NetworkPolicy>([
    ['a', { mode: 'open', allow: [] }],
    ['b', { mode: 'open', allow: [] }],
  ])
  const loopback = parseCidr('127.0.0.0/8')
  if (!loopback) throw new Error('127.0.0.0/8 does not parse')
  const decisions = new EgressDecisions({
    sandboxAt: (address) => Promise.resolve(byAddress.get(address.replace(/^::ffff:/, ''))),
    policyOf: (id) => Promise.resolve(policies.get(id)),
    upstream: new Upstream({
      hosts: new Map([['origin.test', ['127.0.0.1']]]),
      forbidden: forbiddenAddresses(),
      privateAllow: blockListOf([loopback]),
    }),
    denials: new DenialLog(pino({ level: 'silent' })),
  })
  const terminator = new TlsTerminator(decisions, new LeafCertificates(), [])
  const gateway = new HttpGateway(decisions, true, terminator)
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  server.close()
  await gateway.listen(port, '127.0.0.1')
  return {
    port,
    policies,
    close: async () => {
      terminator.close()
      await gateway.close()
    },
  }
}

/** An HTTP server on 127.0.0.1 and its port. */
export async function startOrigin(
  handler: http.RequestListener,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as net.AddressInfo).port }
}

/** An answer read whole. */
export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/**
 * Sends one request through the proxy as `sandbox` to `origin.test:<port><path>`,
 * on `agent` (a kept-alive client connection) or a connection of its own.
 */
export async function ask(
  harness: Harness,
  sandbox: keyof typeof SANDBOXES,
  originPort: number,
  path: string,
  options: {
    method?: string
    body?: Buffer
    agent?: http.Agent
    headers?: http.OutgoingHttpHeaders
  } = {},
): Promise<Answer> {
  const request = http.request({
    host: '127.0.0.1',
    port: harness.port,
    localAddress: SANDBOXES[sandbox],
    method: options.method ?? 'GET',
    path: `http://origin.test:${originPort}${path}`,
    headers: options.headers ?? {},
    agent: options.agent ?? false,
  })
  request.end(options.body)
  const [reply] = (await once(request, 'response')) as [http.IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of reply) chunks.push(chunk as Buffer)
  return { status: reply.statusCode ?? 0, headers: reply.headers, body: Buffer.concat(chunks) }
}
