/**
 * One table for every benchmark row, ours beside a baseline measured in the
 * same run, printed at the end and written as JSON (bench/results.json for
 * `npm run bench`). A row whose measurement throws is kept as FAILED with
 * its message, and the run goes on with the next row.
 */
import os from 'node:os'
import fs from 'node:fs/promises'
import * as prettier from 'prettier'
import { summarize } from './stats.js'

/** Timings (p50/p95 of the runs) or one figure (a rate, a mean). */
export type Measure = { p50: number; p95: number } | { value: number }

/** One row of the table, as written to the JSON file. */
export interface Row {
  name: string
  /** `ms`, `s`, `MB/s`, `req/s`: which way is better follows from it (see `higherIsBetter`). */
  unit: string
  ours?: Measure
  oursLabel?: string
  baseline?: Measure
  baselineLabel?: string
  /** Ours over the baseline, on the p50 (or the value): below 1 is less time or less rate. */
  ratio?: number
  /** The ratio in words: "2.10x faster" / "1.30x slower" than the baseline. */
  verdict?: string
  runs?: number
  /** For rows of bytes moved: MB/s (10^6 bytes) at each side's p50. */
  rateMBps?: { ours: number; baseline: number }
  /** For the transfer rows: RSS of the serving process (MiB) before, after and at its peak. */
  serverRssMiB?: { before: number; after: number; peak: number }
  /** What the figures alone do not say (sizes, memory, targets). */
  note?: string
  /** Set when the row could not be measured: the error's message. */
  failed?: string
}

/** Whether more of `unit` is better (rates) or worse (durations). */
export function higherIsBetter(unit: string): boolean {
  return unit.endsWith('/s')
}

/** The figure a ratio is taken on: the p50, or the single value. */
function central(m: Measure): number {
  return 'value' in m ? m.value : m.p50
}

/** Ours over the baseline, and whether that is faster or slower, by the unit's direction. */
export function compare(unit: string, ours: Measure, baseline: Measure): [number, string] {
  const ratio = central(ours) / central(baseline)
  const better = higherIsBetter(unit) ? ratio >= 1 : ratio <= 1
  const factor = ratio >= 1 ? ratio : 1 / ratio
  return [ratio, `${factor.toFixed(2)}x ${better ? 'faster' : 'slower'}`]
}

/** Whether this run is the smoke run of `npm test`: few runs, small sizes, nothing judged. */
export const SMOKE = process.env.BENCH_SMOKE === '1'

/**
 * Timed runs of a row: BENCH_RUNS when set, else `smoke` in the smoke run
 * and `full` otherwise.
 */
export function runsOf(full: number, smoke = 2): number {
  const set = process.env.BENCH_RUNS
  if (set !== undefined && set !== '') return Number(set)
  return SMOKE ? smoke : full
}

/** The rows of one run, and how to print and save them. */
export class BenchTable {
  readonly rows: Row[] = []
  readonly started = new Date()
  readonly loadBefore = os.loadavg()

  /** Adds a row of durations in ms: p50/p95 of each side's samples. */
  latency(
    name: string,
    ours: number[],
    baseline: number[],
    baselineLabel: string,
    extra: { oursLabel?: string; note?: string } = {},
  ): void {
    const a = summarize(ours)
    const b = summarize(baseline)
    this.add({
      name,
      unit: 'ms',
      ours: { p50: a.p50, p95: a.p95 },
      baseline: { p50: b.p50, p95: b.p95 },
      baselineLabel,
      runs: Math.min(a.n, b.n),
      ...extra,
    })
  }

  /** Adds a row as given, its ratio worked out from its two measures. */
  add(row: Row): void {
    if (row.ours && row.baseline) {
      const [ratio, verdict] = compare(row.unit, row.ours, row.baseline)
      row = { ...row, ratio, verdict }
    }
    this.rows.push(row)
  }

  /** Records `name` as FAILED with the error's message. */
  fail(name: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error)
    this.rows.push({ name, unit: '', failed: message.split('\n')[0]!.slice(0, 300) })
    console.error(`FAILED ${name}:`, error)
  }

  /**
   * Runs one group of rows; if it throws, the group is recorded as FAILED
   * under `name` and the run goes on.
   */
  async run(name: string, fn: () => Promise<void>): Promise<void> {
    // BENCH_ONLY=exec,stream runs only the groups whose names hold one of
    // the words (to profile one row); the rest are left out of the table.
    const only = process.env.BENCH_ONLY?.split(',').filter(Boolean)
    if (only?.length && !only.some((word) => name.includes(word))) return
    console.log(`running: ${name}`)
    try {
      await fn()
    } catch (error) {
      this.fail(name, error)
    }
  }

  /** Rows that failed. */
  get failures(): number {
    return this.rows.filter((row) => row.failed !== undefined).length
  }

  /** Prints the table under `title` and the lines of `header`. */
  print(title: string, header: string[] = []): void {
    const num = (x: number) =>
      (Math.abs(x) >= 1000
        ? x.toFixed(0)
        : Math.abs(x) >= 100
          ? x.toFixed(1)
          : x.toFixed(2)
      ).padStart(9)
    const cell = (m: Measure | undefined) =>
      m === undefined
        ? ''.padStart(18)
        : 'value' in m
          ? num(m.value) + '-'.padStart(9)
          : num(m.p50) + num(m.p95)
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
    // Columns as wide as their longest entry, so every row lines up.
    const w = Math.max(4, ...this.rows.map((row) => row.name.length)) + 2
    const bw = Math.max(8, ...this.rows.map((row) => (row.baselineLabel ?? '').length)) + 1
    console.log(`\n${title}`)
    for (const line of header) console.log(line)
    console.log(
      `host: ${hostLine()}; load average before ${load(this.loadBefore)}, now ${load(os.loadavg())}`,
    )
    console.log(
      `${'row'.padEnd(w)}${'unit'.padEnd(6)}${'runs'.padStart(5)}${'ours p50'.padStart(9)}${'p95'.padStart(9)}  ${'baseline'.padEnd(bw)}${'p50'.padStart(9)}${'p95'.padStart(9)}  ratio (p50)`,
    )
    for (const row of this.rows) {
      if (row.failed !== undefined) {
        console.log(`${row.name.padEnd(w)}FAILED: ${row.failed}`)
        continue
      }
      const ours = row.oursLabel ? ` [ours: ${row.oursLabel}]` : ''
      console.log(
        `${row.name.padEnd(w)}${row.unit.padEnd(6)}${String(row.runs ?? '').padStart(5)}${cell(row.ours)}  ${(row.baselineLabel ?? '').padEnd(bw)}${cell(row.baseline)}  ${row.verdict ?? ''}${ours}`,
      )
      if (row.note) console.log(`${''.padEnd(6)}${row.note}`)
    }
    console.log(`${this.rows.length} rows, ${this.failures} failed`)
  }

  /** Writes the rows, the host and the date as JSON to `file`. */
  async write(file: string, extra: Record<string, unknown> = {}): Promise<void> {
    const body = {
      date: this.started.toISOString(),
      smoke: SMOKE,
      host: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGib: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.type()} ${os.release()}`,
        loadBefore: this.loadBefore,
        loadAfter: os.loadavg(),
      },
      ...extra,
      ratioMeaning:
        'ours / baseline on the p50 (or the value); verdict says faster or slower by the unit (ms, s: lower is better; MB/s, req/s: higher is better)',
      rows: this.rows,
    }
    // Formatted as the repository's formatter would, so a committed result passes its check.
    const options = (await prettier.resolveConfig(file)) ?? {}
    await fs.writeFile(
      file,
      await prettier.format(JSON.stringify(body), { ...options, parser: 'json' }),
    )
    console.log(`results written to ${file}`)
  }
}

/** CPUs, memory and node version of this machine, in one line. */
export function hostLine(): string {
  return `${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`
}
