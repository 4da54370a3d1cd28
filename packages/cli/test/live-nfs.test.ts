import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { liveEnv, runWm, skipLive } from './support/run-wm.js'

describe('live: wm nfs', { skip: skipLive }, () => {
  const env = skipLive ? {} : liveEnv()
  const wm = (...args: string[]) => runWm(args, { env })

  test('url prints the workspace nfs URL; mount --print builds the command from it', async () => {
    const id = (await wm('workspace', 'create')).stdout.trim()
    try {
      const url = await wm('nfs', 'url', id)
      assert.equal(url.code, 0, url.stderr)
      assert.match(url.stdout, new RegExp(`^nfs://.+:\\d+/workspaces/${id}\\n$`))
      const { hostname, port } = new URL(url.stdout.trim())
      const printed = await wm('nfs', 'mount', id, '/mnt/ws', '--version', '3', '--print')
      assert.equal(printed.code, 0, printed.stderr)
      const source = hostname.startsWith('[')
        ? `'${hostname}:/workspaces/${id}'`
        : `${hostname}:/workspaces/${id}`
      assert.ok(printed.stdout.includes(`vers=3,port=${port},mountport=${Number(port) + 1},`))
      assert.ok(printed.stdout.endsWith(` ${source} /mnt/ws\n`), printed.stdout)
    } finally {
      await wm('workspace', 'rm', id)
    }
  })
})
