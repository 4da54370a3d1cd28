/**
 * The store rows of `npm run bench` alone (see bench/store.ts): GET of a
 * sandbox and exec, the PostgreSQL store beside SQLite.
 * Run: npm run bench:store  (needs the Docker engine, the agent binary,
 * workspace-test:latest and PostgreSQL's initdb/pg_ctl; BENCH_RUNS overrides the 200 runs).
 */
import { storeRows } from './store.js'

storeRows({
  runs: Number(process.env.BENCH_RUNS ?? 200),
  warmup: 20,
  template: 'workspace-test:latest',
}).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
