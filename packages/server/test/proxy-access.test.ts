/** Who may use the port proxy, and how it ends when the server closes. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import WebSocket from 'ws'
import { portProxyRoutes } from '../src/routes/proxy.js'
import type { PortConnector } from '../src/services/port-proxy.js'
import { testApp } from './helpers/app.js'
import { listen, request } from './helpers/http.js'

test('the proxy requires the API key, for HTTP and upgrades', async (t) => {
  const { app } = await testApp(t, { WORKSPACE_API_KEY: 'the-key' })
  const base = await listen(app)
  const reply = await request(base, 'GET', '/v1/sandboxes/sb1/proxy/8000/')
  assert.equal(reply.status, 401)
  assert.equal(JSON.parse(reply.body.toString()).error.code, 1002)
  const keyed = await request(base, 'GET', '/v1/sandboxes/sb1/proxy/8000/', {
    headers: { 'x-api-key': 'the-key' },
  })
  assert.equal(keyed.status, 404) // past auth: the sandbox does not exist

  for (const headers of [{}, { 'x-api-key': 'wrong' }]) {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/sandboxes/sb1/proxy/8000/`, {
      headers,
    })
    const refused = await new Promise<{ status: number; body: string }>((resolve) =>
      ws.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }),
    )
    assert.equal(refused.status, 401)
    assert.equal(JSON.parse(refused.body).error.code, 1002)
  }
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/sandboxes/sb1/proxy/8000/`, {
    headers: { 'x-api-key': 'the-key' },
  })
  const status = await new Promise<number>((resolve) =>
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
  )
  assert.equal(status, 404)
})

test('closing the server ends proxied upgrades instead of waiting for them', async (t) => {
  // A service that answers any upgrade with 101 and then echoes.
  const service = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n')
      socket.pipe(socket)
    })
  })
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
  t.after(() => service.close())
  const servicePort = (service.address() as net.AddressInfo).port
  const connections: string[] = []
  const app = Fastify()
  await app.register(websocket)
  await app.register(portProxyRoutes, {
    ports: {
      connect: async () => net.connect(servicePort, '127.0.0.1'),
    } as unknown as PortConnector,
    apiKeys: [],
    apiKeyHeader: 'x-api-key',
    onConnection: (id) => {
      connections.push(`open ${id}`)
      return () => connections.push(`closed ${id}`)
    },
  })
  const base = await listen(app)
  const client = net.connect(Number(new URL(base).port), '127.0.0.1')
  client.write(
    'GET /v1/sandboxes/sb1/proxy/80/ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n',
  )
  await new Promise((resolve) => client.once('data', resolve))
  client.write('ping')
  await new Promise((resolve) => client.once('data', resolve))
  assert.deepEqual(connections, ['open sb1'])
  const clientClosed = new Promise((resolve) => client.once('close', resolve))
  client.on('error', () => undefined)
  await Promise.race([
    app.close(),
    sleep(5000).then(() => assert.fail('close waited for the proxied connection')),
  ])
  await clientClosed
  assert.deepEqual(connections, ['open sb1', 'closed sb1'])
})
