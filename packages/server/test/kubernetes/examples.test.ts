import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { freePort } from '../replicas/client.js'
import { LoggedProcess, cleanEnv, repoPath, waitUntilReady } from '../replicas/processes.js'
import { KUBECONFIG, NO_CLUSTER, clusterEnv, freshNamespace } from './cluster.js'

/*
 * The Python SDK's examples, unmodified, against a real server process on the
 * Kubernetes runtime: what a user of a Kubernetes deployment runs first. The
 * server and the examples both run in the node's network namespace
 * (scripts/k8s/in-node.sh), where the server reaches its agents at pod IPs.
 */

/** Every example gets the script's own limit; the whole run gets this. */
const TIMEOUT = { timeout: 15 * 60_000 }

/** Runs scripts/run-examples.sh against `url`; resolves with its exit code and output. */
function runExamples(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [repoPath('scripts/run-examples.sh')], {
      cwd: repoPath(),
      env: cleanEnv({ WORKSPACE_API_URL: url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

if (!KUBECONFIG) {
  test('the Python SDK examples on the Kubernetes runtime', { skip: NO_CLUSTER }, () => {})
} else {
  const file = KUBECONFIG
  const { namespace, drop } = await freshNamespace(file)
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-k8s-examples-'))
  let server: LoggedProcess | undefined
  after(async () => {
    // The server first, so nothing makes pods while the namespace goes.
    await server?.stop()
    await drop()
    await fs.rm(root, { recursive: true, force: true })
  })

  test(
    'the seven Python SDK examples pass against a server on the Kubernetes runtime',
    TIMEOUT,
    async () => {
      const port = await freePort()
      const url = `http://127.0.0.1:${port}`
      server = new LoggedProcess(
        'server',
        path.join(root, 'server.log'),
        process.execPath,
        ['--import', 'tsx', repoPath('packages/server/src/main.ts')],
        cleanEnv({
          ...clusterEnv(file, namespace),
          WM_RUNTIME: 'kubernetes',
          // The agent image the test cluster holds under this name (up.sh loads it).
          WM_K8S_AGENT_IMAGE: 'wm-agent:latest',
          WORKSPACE_DEFAULT_IMAGE: 'workspace-test:latest',
          WM_HOST: '127.0.0.1',
          WM_PORT: String(port),
          WM_DATA_DIR: path.join(root, 'data'),
          WM_NFS_ENABLED: 'false',
          // No .env.server from the working directory.
          WM_SERVER_ENV_FILE: '/dev/null',
        }),
      )
      try {
        // A bound, not a speed check: tsx compiles the server on its first start, slowly on a busy host.
        await waitUntilReady(server, `${url}/ready`, 180_000)
        const { code, output } = await runExamples(url)
        const summary = /^examples: (\d+) passed, (\d+) failed$/m.exec(output)
        assert.ok(summary, `no summary line in the examples' output:\n${output}`)
        assert.deepEqual(
          { passed: Number(summary[1]), failed: Number(summary[2]), code },
          { passed: 7, failed: 0, code: 0 },
          output,
        )
      } catch (error) {
        process.stderr.write(
          `\n---- server log (${server.logFile}, last lines) ----\n${server.tail(300)}\n`,
        )
        throw error
      }
    },
  )
}
