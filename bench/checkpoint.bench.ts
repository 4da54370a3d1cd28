/**
 * The checkpoint rows alone (see bench/checkpoint.ts), printed in the table
 * format of `npm run bench`.
 * Run: npm run bench:checkpoint (needs the engine with runsc registered and
 * experimental, as the bootstrap sets it up). BENCH_RUNS (default 10).
 */
import { checkpointRows } from './checkpoint.js'
import { BenchTable } from './table.js'

const table = new BenchTable()
await table.run('checkpoint and restore under gVisor', () =>
  checkpointRows({ runs: Number(process.env.BENCH_RUNS ?? 10), table }),
)
table.print('Process checkpoints, ours beside dockerode by hand (npm run bench:checkpoint)')
process.exitCode = table.failures > 0 ? 1 : 0
