import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { docker, TEST_TEMPLATE } from '../helpers/sandbox.js'
import { DockerEgressNetwork } from '../../src/runtime/docker/egress-network.js'
import { chainName, installFirewall, removeFirewall } from '../../src/egress/firewall.js'

/* The sandbox network and the host firewall chain on the real engine and iptables. */

const run = promisify(execFile)
const rules = async () => (await run('iptables', ['-w', '-S'])).stdout

test(
  'the network is internal, isolates sandboxes, and stays while any container (even stopped) uses it',
  { timeout: 60_000 },
  async (t) => {
    const network = new DockerEgressNetwork(docker, randomUUID(), 'wm_test_')
    t.after(async () => {
      await docker
        .getContainer(`wm_test_sb_probe`)
        .remove({ force: true })
        .catch(() => undefined)
      await network.removeIfUnused().catch(() => undefined)
    })
    const made = await network.ensure()
    assert.deepEqual(await network.ensure(), made, 'a second ensure finds the same network')
    const info = await docker.getNetwork(network.name).inspect()
    assert.equal(info.Internal, true)
    assert.equal(info.EnableIPv6, false)
    assert.equal(info.Options?.['com.docker.network.bridge.enable_icc'], 'false')
    assert.equal(info.Options?.['com.docker.network.bridge.name'], made.bridge)
    assert.ok(made.bridge.length <= 15, 'an interface name fits in 15 characters')

    await docker.createContainer({
      name: 'wm_test_sb_probe',
      Image: TEST_TEMPLATE,
      Cmd: ['true'],
      HostConfig: { NetworkMode: network.name },
    })
    assert.equal(
      await network.removeIfUnused(),
      'in-use',
      'a container that never ran still needs it',
    )
    await docker.getContainer('wm_test_sb_probe').remove({ force: true })
    assert.equal(await network.removeIfUnused(), 'removed')
    assert.equal(await network.removeIfUnused(), 'missing')
  },
)

test(
  'the firewall chain is made once however often it is installed, and goes entirely',
  { timeout: 60_000 },
  async () => {
    const id = randomUUID()
    const chain = chainName(id)
    const bridge = `wm-eg-${id.replace(/-/g, '').slice(0, 8)}`
    try {
      await installFirewall(chain, bridge, '192.0.2.1')
      await installFirewall(chain, bridge, '192.0.2.1')
      const made = await rules()
      assert.equal(
        made.split('\n').filter((line) => line === `-A INPUT -i ${bridge} -j ${chain}`).length,
        1,
      )
      assert.match(
        made,
        new RegExp(`-A ${chain} -d 192.0.2.1/32 -p tcp -m tcp --dport 3128 -j ACCEPT`),
      )
      assert.equal(made.split('\n').filter((line) => line.startsWith(`-A ${chain} `)).length, 7)
      assert.match(made, new RegExp(`-A ${chain} -j DROP\\n`))
    } finally {
      await removeFirewall(chain, bridge)
    }
    assert.doesNotMatch(await rules(), new RegExp(chain))
    assert.doesNotMatch((await run('ip6tables', ['-w', '-S'])).stdout, new RegExp(bridge))
  },
)
