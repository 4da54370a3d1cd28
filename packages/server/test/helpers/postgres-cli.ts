/**
 * Starts a throwaway PostgreSQL cluster, prints its URL on one line of
 * stdout and keeps it up until SIGTERM or SIGINT, then stops it and removes
 * its files. For multi-process tests and benchmarks:
 *
 *   node --import tsx packages/server/test/helpers/postgres-cli.ts
 */
import { startPostgres } from './postgres.js'

const cluster = await startPostgres()
process.stdout.write(`${cluster.url}\n`)

let stopping = false
const shutdown = () => {
  if (stopping) return
  stopping = true
  cluster.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`stopping PostgreSQL failed: ${String(error)}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
// Keeps the event loop alive until a signal arrives.
setInterval(() => undefined, 1 << 30)
