/** Parsers of option values: each turns the text after a flag into what the SDK takes, or says what is wrong. */
import { InvalidArgumentError } from 'commander'

/** A positive number of seconds, fractions allowed (`--timeout 1.5` of `wm exec`). */
export function parseSeconds(value: string): number {
  const seconds = Number(value)
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError('expected a positive number of seconds')
  }
  return seconds
}

/** A positive whole number of seconds (the lifetime of a sandbox). */
export function parseWholeSeconds(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) {
    throw new InvalidArgumentError('expected a positive whole number of seconds')
  }
  return Number(value)
}

/** A TCP port inside a sandbox, 1-65535. */
export function parsePort(value: string): number {
  const text = value.trim()
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new InvalidArgumentError('expected a port from 1 to 65535')
  }
  return Number(text)
}

/** CPU limit: cores as a number (`0.5`), or `1c` / `500m`, passed through for the server to check. */
export function parseCpu(value: string): number | string {
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  if (/^\d+(\.\d+)?[cm]$/i.test(text)) return text
  throw new InvalidArgumentError('expected cores (0.5), or 1c / 500m')
}

/** Memory limit: bytes as a whole number, or a size such as `512m` / `2g`. */
export function parseMemory(value: string): number | string {
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  if (/^\d+(\.\d+)?[kmgt]i?b?$/i.test(text)) return text
  throw new InvalidArgumentError('expected bytes, or a size such as 512m or 2g')
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
}

/**
 * A disk quota: bytes as a whole number, or a size in binary units such as
 * `20MiB`, `512m` or `1.5g`; `none` (or `unlimited`) for no quota. Whether it
 * is large enough is the server's to say.
 */
export function parseQuota(value: string): number | null {
  const text = value.trim()
  if (/^(none|unlimited)$/i.test(text)) return null
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text)
  const bytes = match ? Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!) : NaN
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidArgumentError('expected bytes, a size such as 20MiB or 10g, or none')
  }
  return bytes
}
