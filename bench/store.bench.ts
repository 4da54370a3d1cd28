/**
 * The store rows alone (see bench/store.ts): GET of a sandbox and exec, the
 * PostgreSQL store beside SQLite, printed in the table format of `npm run bench`.
 * Run: npm run bench:store  (needs the Docker engine, the agent binary,
 * workspace-test:latest and PostgreSQL's initdb/pg_ctl; BENCH_RUNS overrides the 200 runs).
 */
import { storeRows } from './store.js'
import { BenchTable } from './table.js'

const table = new BenchTable()
await table.run('PostgreSQL store beside SQLite', () =>
  storeRows({
    runs: Number(process.env.BENCH_RUNS ?? 200),
    warmup: 20,
    template: 'workspace-test:latest',
    table,
  }),
)
table.print('PostgreSQL store (ours) beside the SQLite store (baseline), npm run bench:store')
process.exitCode = table.failures > 0 ? 1 : 0
