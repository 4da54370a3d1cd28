import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  AllowEntryError,
  allowsAddress,
  allowsName,
  parseAllowEntry,
  parseAllowList,
} from '../../src/egress/policy.js'
import { blockListOf, parseCidr, type Cidr } from '../../src/egress/addresses.js'
import { EgressDecisions } from '../../src/egress/decisions.js'
import { requestedNetwork } from '../../src/services/sandbox-network.js'
import { ApiError } from '../../src/errors.js'
import { DenialLog } from '../../src/egress/denials.js'
import { Upstream } from '../../src/egress/upstream.js'
import { answer, parseQuery, RCODE } from '../../src/egress/dns-message.js'
import { serverName } from '../../src/egress/client-hello.js'
import tls from 'node:tls'
import net from 'node:net'
import { once } from 'node:events'

/* The gateway's judgement without a network: allow entries, decisions, DNS and SNI parsing. */

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return silent
  },
} as never

test('allow entries: host names, wildcards, addresses and CIDRs with optional ports', () => {
  assert.deepEqual(parseAllowEntry('API.Example.com'), {
    kind: 'host',
    name: 'api.example.com',
    wildcard: false,
    port: null,
  })
  assert.deepEqual(parseAllowEntry('*.example.com:443'), {
    kind: 'host',
    name: 'example.com',
    wildcard: true,
    port: 443,
  })
  const v4 = parseAllowEntry('10.0.0.0/8:5432')
  assert.deepEqual([v4.kind, v4.port], ['cidr', 5432])
  const v6 = parseAllowEntry('[2001:db8::/32]:443')
  assert.deepEqual([v6.kind, v6.port], ['cidr', 443])
  assert.equal(parseAllowEntry('2001:db8::1').kind, 'cidr')
  for (const bad of [
    '',
    'a b',
    '*.',
    'exa*mple.com',
    '10.0.0.0/40',
    'host:0',
    'host:x',
    '[::1',
    '[::1]x',
    '-a.com',
    '1.2.3.4/8/9',
  ]) {
    assert.throws(() => parseAllowEntry(bad), AllowEntryError, bad)
  }
})

test('matching: exact names, wildcards cover subdomains only, ports, addresses', () => {
  const rules = parseAllowList([
    'api.example.com',
    '*.example.org',
    'db.example.net:5432',
    '203.0.113.0/24:443',
  ])
  assert.equal(allowsName(rules, 'api.example.com', 443), true)
  assert.equal(allowsName(rules, 'API.example.com.', 80), true)
  assert.equal(allowsName(rules, 'www.api.example.com', 80), false)
  assert.equal(allowsName(rules, 'a.b.example.org', 80), true)
  assert.equal(allowsName(rules, 'example.org', 80), false)
  assert.equal(allowsName(rules, 'db.example.net', 5432), true)
  assert.equal(allowsName(rules, 'db.example.net', 80), false)
  assert.equal(
    allowsName(rules, 'db.example.net', null),
    true,
    'a lookup is allowed for any port of a rule',
  )
  assert.equal(allowsAddress(rules, '203.0.113.9', 443), true)
  assert.equal(allowsAddress(rules, '203.0.113.9', 80), false)
  assert.equal(allowsAddress(rules, '198.51.100.1', 443), false)
})

function decisions(
  mode: string,
  allow: string[],
  hosts: Record<string, string[]>,
  privateAllow: string[] = [],
) {
  const denials = new DenialLog(silent)
  const forbidden = blockListOf(
    ['127.0.0.0/8', '10.0.0.0/8', '169.254.0.0/16'].map((c) => parseCidr(c) as Cidr),
  )
  const upstream = new Upstream({
    hosts: new Map(Object.entries(hosts)),
    forbidden,
    privateAllow: blockListOf(privateAllow.map((c) => parseCidr(c) as Cidr)),
    lookup: async () => [],
  })
  const policy = { mode, allow }
  const judge = new EgressDecisions({
    sandboxAt: async (address) => (address === '172.30.0.2' ? 'sb_1' : undefined),
    policyOf: async () => policy,
    upstream,
    denials,
  })
  return { judge, denials, policy }
}

test('decisions: resolved addresses are vetted (rebinding), refusals are counted', async () => {
  const { judge, denials, policy } = decisions('allowlist', ['good.test', '198.51.100.0/24'], {
    'good.test': ['203.0.113.5'],
    'rebound.test': ['10.1.2.3'],
    'metadata.test': ['169.254.169.254'],
  })
  assert.deepEqual(await judge.connect('sb_1', 'good.test', 443), {
    allowed: true,
    address: '203.0.113.5',
  })
  assert.equal((await judge.connect('sb_1', 'other.test', 443)).allowed, false)
  assert.deepEqual(await judge.connect('sb_1', '198.51.100.7', 22), {
    allowed: true,
    address: '198.51.100.7',
  })
  policy.allow = ['rebound.test', 'metadata.test']
  assert.equal((await judge.connect('sb_1', 'rebound.test', 80)).allowed, false)
  assert.equal((await judge.connect('sb_1', 'metadata.test', 80)).allowed, false)
  policy.mode = 'open'
  assert.equal((await judge.connect('sb_1', '127.0.0.1', 8080)).allowed, false)
  assert.equal((await judge.connect('sb_1', '::ffff:127.0.0.1', 8080)).allowed, false)
  assert.equal((await judge.connect('sb_1', 'good.test', 80)).allowed, true)
  assert.equal(await judge.mayResolve('sb_1', 'anything.test', true), true)
  policy.mode = 'none'
  assert.equal(await judge.mayResolve('sb_1', 'good.test', true), false)
  const { count, recent } = denials.of('sb_1')
  assert.equal(count, 6)
  assert.deepEqual(recent[0]?.host, 'good.test')
  assert.deepEqual(
    [recent[0]?.port, recent[1]?.host, recent[1]?.port],
    [null, '::ffff:127.0.0.1', 8080],
  )
  assert.equal(await judge.sandboxAt('172.30.0.9'), undefined)
})

test('decisions: WM_EGRESS_PRIVATE_ALLOW lets a private range through', async () => {
  const { judge } = decisions('open', [], { 'db.test': ['10.1.2.3'] }, ['10.1.0.0/16'])
  assert.deepEqual(await judge.connect('sb_1', 'db.test', 5432), {
    allowed: true,
    address: '10.1.2.3',
  })
})

test('DNS messages: a query is read, answered with an A record or a status', () => {
  const query = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex')
  const parsed = parseQuery(query)
  assert.deepEqual([parsed?.id, parsed?.name, parsed?.type], [0x1234, 'example.com', 1])
  const reply = answer(parsed!, RCODE.NOERROR, '172.30.0.1')
  assert.equal(reply.readUInt16BE(6), 1, 'one answer')
  assert.deepEqual([...reply.subarray(reply.length - 4)], [172, 30, 0, 1])
  const refused = answer(parsed!, RCODE.NXDOMAIN)
  assert.equal(refused.readUInt16BE(2) & 0xf, RCODE.NXDOMAIN)
  assert.equal(parseQuery(Buffer.from('1234', 'hex')), undefined)
  assert.equal(parseQuery(reply), undefined, 'a response is no query')
})

test('ClientHello: the server name a real TLS client sends is read', async () => {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const received = once(server, 'connection')
  const client = tls.connect({
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    servername: 'api.example.com',
  })
  client.on('error', () => undefined)
  const [socket] = (await received) as [net.Socket]
  let data = Buffer.alloc(0)
  let name: ReturnType<typeof serverName> = 'needed'
  for await (const chunk of socket) {
    data = Buffer.concat([data, chunk as Buffer])
    name = serverName(data)
    if (name !== 'needed') break
  }
  client.destroy()
  server.close()
  assert.equal(name, 'api.example.com')
  assert.equal(serverName(Buffer.from('GET / HTTP/1.1\r\n')), 'invalid')
})

test('requested networks: gVisor without a network refuses any, Kubernetes refuses host names', () => {
  const body = (network: unknown) => ({ workspace_id: 'ws_1', network }) as never
  const docker = { networkless: false, hostRules: true }
  assert.deepEqual(
    requestedNetwork(body({ mode: 'allowlist', allow: [' a.example.com '] }), 'none', docker),
    {
      networkMode: 'allowlist',
      networkAllow: ['a.example.com'],
    },
  )
  assert.deepEqual(
    requestedNetwork({ workspace_id: 'ws_1', network_mode: 'bridge' }, 'none', docker),
    {
      networkMode: 'bridge',
      networkAllow: null,
    },
  )
  assert.deepEqual(requestedNetwork({ workspace_id: 'ws_1' }, 'open', docker), {
    networkMode: 'open',
    networkAllow: [],
  })
  const gvisor = { networkless: true, hostRules: true }
  for (const network of [{ mode: 'open' }, { mode: 'allowlist' }]) {
    assert.throws(() => requestedNetwork(body(network), 'none', gvisor), /runsc --network=none/)
  }
  assert.equal(requestedNetwork(body({ mode: 'none' }), 'none', gvisor).networkMode, 'none')
  const kubernetes = { networkless: false, hostRules: false }
  assert.throws(
    () =>
      requestedNetwork(
        body({ mode: 'allowlist', allow: ['10.0.0.0/8', 'a.example.com'] }),
        'none',
        kubernetes,
      ),
    (error: unknown) =>
      error instanceof ApiError && /NetworkPolicy cannot name hosts/.test(error.message),
  )
  assert.equal(
    requestedNetwork(body({ mode: 'allowlist', allow: ['10.0.0.0/8'] }), 'none', kubernetes)
      .networkMode,
    'allowlist',
  )
})
