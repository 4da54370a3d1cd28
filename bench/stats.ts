import { setTimeout as sleep } from 'node:timers/promises'

/** Median and 95th percentile of a list of durations in milliseconds. */
export function summarize(samples: number[]): {
  n: number
  p50: number
  p95: number
  mean: number
} {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), mean }
}

/**
 * Times `fn` `runs` times after `warmup` untimed runs. `setup`, when given,
 * runs untimed before every run (e.g. pausing what `fn` resumes).
 */
export async function timeRuns(
  runs: number,
  warmup: number,
  fn: () => Promise<void>,
  setup?: () => Promise<void>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    await setup?.()
    await fn()
  }
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    await setup?.()
    const started = process.hrtime.bigint()
    await fn()
    samples.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  return samples
}

/**
 * Times `a` and `b` alike, one call of each in turn, `a` first on even runs
 * and `b` first on odd ones, after `warmup` untimed rounds: what the machine
 * does meanwhile falls on both, and neither always runs right after the other.
 * With `idleMs`, every timed call comes after that long with nothing sent
 * (untimed): the cost of a call on a host that sat idle, not back to back.
 */
export async function timeAlternately(
  runs: number,
  warmup: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
  idleMs = 0,
): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a()
    await b()
  }
  const samples: [number[], number[]] = [[], []]
  const time = async (fn: () => Promise<void>, into: number[]) => {
    if (idleMs > 0) await sleep(idleMs)
    const started = process.hrtime.bigint()
    await fn()
    into.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await time(a, samples[0])
      await time(b, samples[1])
    } else {
      await time(b, samples[1])
      await time(a, samples[0])
    }
  }
  return samples
}
