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
 */
export async function timeAlternately(
  runs: number,
  warmup: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a()
    await b()
  }
  const samples: [number[], number[]] = [[], []]
  const time = async (fn: () => Promise<void>, into: number[]) => {
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

/** Prints two measurements side by side with their ratio. */
export function printComparison(
  title: string,
  ours: number[],
  theirs: number[],
  theirsLabel: string,
  oursLabel = 'workspace-manager API',
): void {
  const a = summarize(ours)
  const b = summarize(theirs)
  const f = (x: number) => x.toFixed(2).padStart(9)
  console.log(`\n${title}`)
  console.log(
    `${'side'.padEnd(28)}${'runs'.padStart(6)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'mean ms'.padStart(9)}`,
  )
  console.log(`${oursLabel.padEnd(28)}${String(a.n).padStart(6)}${f(a.p50)}${f(a.p95)}${f(a.mean)}`)
  console.log(
    `${theirsLabel.padEnd(28)}${String(b.n).padStart(6)}${f(b.p50)}${f(b.p95)}${f(b.mean)}`,
  )
  console.log(
    `ratio (theirs/ours) p50: ${(b.p50 / a.p50).toFixed(2)}x   p95: ${(b.p95 / a.p95).toFixed(2)}x`,
  )
}
