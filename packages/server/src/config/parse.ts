/**
 * Parsers for environment values. Each throws a ConfigError naming the
 * variable, so a bad value stops start-up with a message a person can act on.
 */
import { imageReferenceProblem, quoted } from '../image-reference.js'

/** A configuration value that cannot be used. */
export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/** Environment as a plain string map. */
export type Env = Readonly<Record<string, string | undefined>>

/** The value of `name`, or `undefined` when unset or blank. */
export function readString(env: Env, name: string): string | undefined {
  const value = env[name]
  if (value === undefined) return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on'])
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off'])

/** Parses 1/true/yes/on and 0/false/no/off, case-insensitively. */
export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const value = readString(env, name)
  if (value === undefined) return fallback
  const lower = value.toLowerCase()
  if (TRUE_WORDS.has(lower)) return true
  if (FALSE_WORDS.has(lower)) return false
  throw new ConfigError(name, `expected true or false, got "${value}"`)
}

/** Parses a whole number within [min, max]. */
export function readInt(
  env: Env,
  name: string,
  fallback: number,
  range: { min?: number; max?: number } = {},
): number {
  const value = readString(env, name)
  if (value === undefined) return fallback
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `expected a whole number, got "${value}"`)
  const parsed = Number(value)
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `expected a whole number between ${min} and ${max}, got "${value}"`)
  }
  return parsed
}

/** Parses a comma-separated list, dropping blanks. */
export function readList(env: Env, name: string): string[] {
  const value = readString(env, name)
  if (value === undefined) return []
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Parses one of a fixed set of words. */
export function readChoice<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = readString(env, name)
  if (value === undefined) return fallback
  if ((choices as readonly string[]).includes(value)) return value as T
  throw new ConfigError(name, `expected one of ${choices.join(', ')}, got "${value}"`)
}

/**
 * Parses a CPU limit into Docker NanoCpus: "1c" and "1" are one core,
 * "0.5c" half a core, "1500m" one and a half cores (millicores).
 */
export function parseCpu(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(c|m)?$/i.exec(value.trim())
  if (!match) {
    throw new ConfigError(
      name,
      `expected cores like "1c", "0.5c" or millicores like "1500m", got "${value}"`,
    )
  }
  const amount = Number(match[1])
  const cores = match[2]?.toLowerCase() === 'm' ? amount / 1000 : amount
  const nanoCpus = Math.round(cores * 1e9)
  if (nanoCpus < 1e7 || nanoCpus > 1024 * 1e9) {
    throw new ConfigError(name, `CPU limit must be between 0.01 and 1024 cores, got "${value}"`)
  }
  return nanoCpus
}

/** Docker refuses memory limits under 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 ** 2

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
}

/** Parses a memory size like "2g", "512m", "1024k" or plain bytes into bytes. */
export function parseMemory(name: string, value: string): number {
  return parseSize(name, value, { min: MIN_MEMORY_BYTES, minText: "6m, the engine's minimum" })
}

/** The smallest root filesystem size a sandbox may be given: 1 MiB. */
export const MIN_DISK_BYTES = 1024 ** 2

/** Parses a sandbox's root filesystem size like memory sizes ("2GiB", "512m", bytes), at least 1m. */
export function parseDiskSize(name: string, value: string): number {
  return parseSize(name, value, { min: MIN_DISK_BYTES, minText: '1m' })
}

/** A size like "2g", "512m", "64MiB" or plain bytes, in bytes, at least `min`. */
function parseSize(name: string, value: string, limits: { min: number; minText: string }): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim())
  if (!match) {
    throw new ConfigError(name, `expected a size like "2g", "512m" or a byte count, got "${value}"`)
  }
  const bytes = Math.floor(Number(match[1]) * (MEMORY_UNITS[match[2]!.toLowerCase()] ?? 1))
  if (bytes < limits.min) {
    throw new ConfigError(name, `must be at least ${limits.minText}, got "${value}"`)
  }
  if (!Number.isSafeInteger(bytes)) throw new ConfigError(name, `"${value}" is too large`)
  return bytes
}

/** An image reference the engine can parse (see image-reference.ts). */
export function readImageReference(env: Env, name: string, fallback: string): string {
  const value = readString(env, name) ?? fallback
  const problem = imageReferenceProblem(value)
  if (problem) {
    throw new ConfigError(name, `${quoted(value)} is not a valid image reference: ${problem}`)
  }
  return value
}
