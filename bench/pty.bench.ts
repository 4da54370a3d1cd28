/**
 * The PTY row alone (see bench/pty.ts): keystroke echo over our WebSocket
 * beside `docker exec -it`, printed in the table format of `npm run bench`.
 * Run: npm run bench:pty   (BENCH_RUNS overrides the 200 keystrokes)
 */
import { ptyRows } from './pty.js'
import { BenchTable } from './table.js'

const table = new BenchTable()
await table.run('keystroke echo round trip (PTY)', () =>
  ptyRows({ runs: Number(process.env.BENCH_RUNS ?? 200), table }),
)
table.print('PTY keystroke echo, ours beside docker exec -it (npm run bench:pty)')
process.exitCode = table.failures > 0 ? 1 : 0
