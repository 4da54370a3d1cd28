/**
 * docs/configuration.md names every environment variable the server and the clients read, so a
 * new variable cannot ship undocumented.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'

const repo = (file: string) => fileURLToPath(new URL(`../../../${file}`, import.meta.url))

/** The files where the server, the TypeScript SDK (and so the CLI) and the Python SDK read variables. */
const READERS = [
  'packages/server/src/config/index.ts',
  'packages/server/src/config/kubernetes.ts',
  'packages/server/src/config/egress.ts',
  'packages/server/src/config/env-file.ts',
  'packages/server/src/runtime/docker/connection.ts',
  'packages/sdk/src/config.ts',
  'packages/sdk/src/manager/splunk.ts',
  'python/src/workspace_sdk/_config.py',
  'python/src/wm_client/_splunk.py',
]

const PREFIXES = '(?:WM|WORKSPACE|DOCKER|SPLUNK|LOG|CORS|CONTAINER)_[A-Z0-9_]*[A-Z0-9]'
/** A variable name as a string literal (`readInt(env, 'WM_PORT', ...)`) or read as `env.NAME`. */
const VARIABLE = new RegExp(`['"](${PREFIXES})['"]|\\benv\\.(${PREFIXES})\\b`, 'g')

test('docs/configuration.md lists every variable the server and the clients read', () => {
  const doc = fs.readFileSync(repo('docs/configuration.md'), 'utf8')
  const missing: string[] = []
  for (const file of READERS) {
    const names = new Set(
      [...fs.readFileSync(repo(file), 'utf8').matchAll(VARIABLE)].map((m) => m[1] ?? m[2]),
    )
    assert.ok(names.size > 0, `${file} reads no variable: has the reading moved elsewhere?`)
    for (const name of names) {
      if (!doc.includes(`\`${name}\``)) missing.push(`${name} (read in ${file})`)
    }
  }
  assert.deepEqual(missing, [], 'add these to docs/configuration.md')
})
