import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Time as the lifecycle sees it: the janitor, expiry and restart back-off
 * read it, so tests drive them with a clock of their own instead of waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms` milliseconds of this clock. */
  sleep(ms: number): Promise<void>
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
}
