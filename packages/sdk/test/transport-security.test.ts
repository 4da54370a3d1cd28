import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { WorkspaceClient, WorkspaceError } from '../src/index.js'

function configFailure(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof WorkspaceError &&
    error.details.reason === 'config' &&
    pattern.test(error.message)
}

describe('plain http is accepted only for loopback hosts unless opted in', () => {
  const loopback = [
    'http://localhost:8080',
    'http://LOCALHOST',
    'http://127.0.0.1:8080',
    'http://127.1.2.3',
    'http://[::1]:8080',
  ]
  for (const apiUrl of loopback) {
    test(`accepts ${apiUrl}`, () => {
      assert.doesNotThrow(() => new WorkspaceClient({ apiUrl, env: {} }))
    })
  }

  const remote = [
    'http://example.com',
    'http://10.0.0.5:8080',
    'http://128.0.0.1',
    'http://localhost.evil.example',
    'http://[::2]',
    'http://0.0.0.0:8080',
  ]
  for (const apiUrl of remote) {
    test(`refuses ${apiUrl} with a clear error`, () => {
      assert.throws(
        () => new WorkspaceClient({ apiUrl, env: {} }),
        configFailure(/plain http:\/\/.*WM_ALLOW_INSECURE_HTTP/),
      )
    })
  }

  test('the opt-in (option or WM_ALLOW_INSECURE_HTTP) allows a remote http URL', () => {
    const apiUrl = 'http://example.com'
    assert.doesNotThrow(() => new WorkspaceClient({ apiUrl, allowInsecureHttp: true, env: {} }))
    const env = { WM_ALLOW_INSECURE_HTTP: 'true' }
    assert.doesNotThrow(() => new WorkspaceClient({ apiUrl, env }))
  })

  test('the rule applies to URLs from the environment too', () => {
    const env = { WORKSPACE_API_URL: 'http://example.com' }
    assert.throws(() => new WorkspaceClient({ env }), configFailure(/example\.com/))
  })

  test('https is always accepted', () => {
    assert.doesNotThrow(() => new WorkspaceClient({ apiUrl: 'https://example.com', env: {} }))
  })
})

describe('skipping TLS verification needs its own opt-in', () => {
  test('verifyTls false without allowInsecureTls is refused', () => {
    assert.throws(
      () => new WorkspaceClient({ apiUrl: 'https://example.com', verifyTls: false, env: {} }),
      configFailure(/WM_ALLOW_INSECURE_TLS/),
    )
  })

  test('WM_VERIFY_TLS=false without WM_ALLOW_INSECURE_TLS is refused', () => {
    const env = { WORKSPACE_API_URL: 'https://example.com', WM_VERIFY_TLS: 'false' }
    assert.throws(() => new WorkspaceClient({ env }), configFailure(/allowInsecureTls/))
  })

  test('with the opt-in, verification can be turned off', () => {
    const env = { WM_VERIFY_TLS: 'false', WM_ALLOW_INSECURE_TLS: 'true' }
    const client = new WorkspaceClient({ apiUrl: 'https://example.com', env })
    assert.equal(client.config.verifyTls, false)
    const explicit = new WorkspaceClient({ verifyTls: false, allowInsecureTls: true, env: {} })
    assert.equal(explicit.config.verifyTls, false)
  })

  test('the opt-in alone changes nothing: verification stays on', () => {
    const client = new WorkspaceClient({ allowInsecureTls: true, env: {} })
    assert.equal(client.config.verifyTls, true)
  })
})

describe('TLS verification against a real self-signed https server', () => {
  const skip = spawnSync('openssl', ['version']).error ? 'openssl is not installed' : false

  test(
    'refuses the certificate by default, accepts it when verification is off',
    { skip },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'wm-tls-'))
      const keyAndCert = ['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]
      const selfSigned = 'req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost'.split(' ')
      spawnSync('openssl', [...selfSigned, ...keyAndCert], { stdio: 'ignore' })
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => {
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify({ workspaces: [] }))
        },
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      t.after(() => {
        server.closeAllConnections()
        server.close()
        rmSync(dir, { recursive: true, force: true })
      })
      const apiUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

      const strict = new WorkspaceClient({ apiUrl, env: {} })
      await assert.rejects(
        strict.workspace.list(),
        (error: unknown) => error instanceof WorkspaceError && error.details.reason === 'network',
      )
      const lax = new WorkspaceClient({ apiUrl, verifyTls: false, allowInsecureTls: true, env: {} })
      assert.deepEqual(await lax.workspace.list(), [])
      strict.close()
      lax.close()
    },
  )
})
