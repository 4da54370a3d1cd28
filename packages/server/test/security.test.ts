import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSandbox, run, sandboxApp } from './helpers/sandbox.js'

test('a fork bomb is contained by the pids limit and the host stays responsive', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const bomb = run(app, sandboxId, {
    cmd: 'bash',
    args: ['-c', 'bomb() { bomb | bomb & }; bomb; sleep 30'],
    timeout: 4,
  })
  const probes: number[] = []
  for (let i = 0; i < 6; i++) {
    const started = process.hrtime.bigint()
    const health = await app.inject({ method: 'GET', url: '/health' })
    assert.equal(health.statusCode, 200)
    probes.push(Number(process.hrtime.bigint() - started) / 1e6)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  assert.ok(Math.max(...probes) < 1000, `health took ${Math.max(...probes)} ms during the bomb`)
  const ended = await bomb
  assert.equal(ended.status, 408, JSON.stringify(ended.json))
  const after = await run(app, sandboxId, { cmd: 'echo', args: ['still here'], timeout: 30 })
  assert.equal(after.json.stdout, 'still here\n')
})

test('a memory hog is OOM-killed and reported, and the sandbox survives', async (t) => {
  const { app } = await sandboxApp(t, { WORKSPACE_DEFAULT_MEM: '64m' })
  const { sandboxId } = await createSandbox(t, app)
  const hog = await run(app, sandboxId, {
    cmd: 'python3',
    args: ['-c', 'blocks = []\nwhile True: blocks.append(bytearray(16 * 1024 * 1024))'],
    timeout: 60,
  })
  assert.equal(hog.status, 200)
  assert.equal(hog.json.exit_code, 137)
  const after = await run(app, sandboxId, { cmd: 'echo', args: ['alive'] })
  assert.equal(after.json.stdout, 'alive\n')
  const sandbox = (await app.inject({ method: 'GET', url: `/v1/sandboxes/${sandboxId}` })).json()
  assert.equal(sandbox.state, 'running')
})

test('with network none a sandbox cannot reach the API port on the host', async (t) => {
  const { app } = await sandboxApp(t)
  const address = new URL(await app.listen({ host: '0.0.0.0', port: 0 }))
  const { sandboxId } = await createSandbox(t, app)
  const probe = `
import socket, sys
reached = []
for host in ("127.0.0.1", "172.17.0.1", "10.0.2.2"):
    try:
        socket.create_connection((host, ${address.port}), timeout=2).close()
        reached.append(host)
    except OSError:
        pass
print("reached:" + ",".join(reached))
`
  const result = await run(app, sandboxId, { cmd: 'python3', args: ['-c', probe], timeout: 30 })
  assert.equal(result.json.stdout.trim(), 'reached:')
  const interfaces = await run(app, sandboxId, { cmd: 'cat', args: ['/proc/net/dev'] })
  assert.doesNotMatch(interfaces.json.stdout, /eth0/)
})

test('processes keep only the kept capabilities', async (t) => {
  const { app } = await sandboxApp(t)
  const { sandboxId } = await createSandbox(t, app)
  const status = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'grep CapEff /proc/self/status'],
  })
  const effective = BigInt(`0x${status.json.stdout.split(/\s+/)[1]}`)
  const CAP_SYS_ADMIN = 21n
  const CAP_NET_RAW = 13n
  const CAP_SYS_PTRACE = 19n
  for (const cap of [CAP_SYS_ADMIN, CAP_NET_RAW, CAP_SYS_PTRACE]) {
    assert.equal((effective >> cap) & 1n, 0n, `capability ${cap} is effective`)
  }
  const mount = await run(app, sandboxId, {
    cmd: 'sh',
    args: ['-c', 'mkdir -p /tmp/m && mount -t tmpfs x /tmp/m'],
  })
  assert.notEqual(mount.json.exit_code, 0)
})
