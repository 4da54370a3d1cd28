#!/usr/bin/env node
/**
 * wm-server: loads the env file and configuration, builds the app, listens,
 * and closes gracefully on SIGINT/SIGTERM.
 */
import { buildApp } from './app.js'
import { ConfigError, DEFAULT_UPLOAD_TOKEN_SECRET, loadConfig } from './config/index.js'
import { loadEnvFile } from './config/env-file.js'
import { InstanceMismatchError } from './cluster/instance-check.js'

/**
 * A closed log pipe (whoever read stdout went away) must not take the server
 * and its sandboxes' sessions down with it: console lines are lost from then
 * on, the log file (WM_LOG_FILE) still has them. Other stream errors stay fatal.
 */
function surviveClosedConsole(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
    })
  }
}

async function main(): Promise<void> {
  surviveClosedConsole()
  let config
  try {
    config = loadConfig(loadEnvFile())
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`wm-server: invalid configuration: ${error.message}\n`)
      process.exit(78)
    }
    throw error
  }
  const app = await buildApp(config)
  if (config.auth.apiKeys.length === 0) {
    app.log.warn('no API key is set (WORKSPACE_API_KEY/WORKSPACE_API_KEYS): authentication is off')
  }
  if (config.uploadTokens.secret === DEFAULT_UPLOAD_TOKEN_SECRET) {
    app.log.warn(
      'WORKSPACE_UPLOAD_TOKEN_SECRET is the built-in development secret: anyone can mint upload/download tokens; set your own in production',
    )
  }
  let closing = false
  const close = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => close('SIGINT'))
  process.on('SIGTERM', () => close('SIGTERM'))
  await app.listen({ host: config.host, port: config.port })
}

main().catch((error: unknown) => {
  // A setup that differs from the other servers' is the operator's to fix: say what, no stack.
  // So is a setting the data directory cannot honour (a quota where none can be enforced).
  if (error instanceof ConfigError) {
    process.stderr.write(`wm-server: invalid configuration: ${error.message}\n`)
    process.exit(78)
  }
  if (error instanceof InstanceMismatchError) {
    process.stderr.write(`wm-server: refusing to start: ${error.message}\n`)
    process.exit(78)
  }
  process.stderr.write(`wm-server: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
