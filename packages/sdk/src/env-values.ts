/**
 * Parsers for configuration values. Each one names the option or variable a
 * bad value came from, so the error says what to fix.
 */
import { clientError, type WorkspaceError } from './errors.js'

/** Where a value came from: the option name, or the environment variable. */
export type ValueSource = { option: string } | { variable: string }

function describe(source: ValueSource): string {
  return 'variable' in source
    ? `environment variable ${source.variable}`
    : `option ${source.option}`
}

/** A configuration error naming the option or variable at fault. */
export function configError(source: ValueSource, problem: string): WorkspaceError {
  const name = 'variable' in source ? source.variable : source.option
  return clientError('config', `${describe(source)} ${problem}`, { details: { setting: name } })
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on'])
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off'])

/** Parses `true/false/1/0/yes/no/on/off` (any case). */
export function parseBoolean(raw: string, source: ValueSource): boolean {
  const word = raw.trim().toLowerCase()
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  throw configError(source, `must be true or false, got ${JSON.stringify(raw)}`)
}

/** Parses a positive number of seconds (fractions allowed) into milliseconds. */
export function parseSecondsAsMs(raw: string, source: ValueSource): number {
  const seconds = Number(raw.trim())
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw configError(source, `must be a positive number of seconds, got ${JSON.stringify(raw)}`)
  }
  return Math.round(seconds * 1000)
}

/** Parses a positive whole number of bytes. */
export function parseByteCount(raw: string, source: ValueSource): number {
  const trimmed = raw.trim()
  const bytes = Number(trimmed)
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(bytes) || bytes <= 0) {
    throw configError(
      source,
      `must be a positive whole number of bytes, got ${JSON.stringify(raw)}`,
    )
  }
  return bytes
}

/** Parses a TCP port, 1-65535. */
export function parsePort(raw: string, source: ValueSource): number {
  const trimmed = raw.trim()
  const port = Number(trimmed)
  if (!/^\d+$/.test(trimmed) || port < 1 || port > 65535) {
    throw configError(source, `must be a port number (1-65535), got ${JSON.stringify(raw)}`)
  }
  return port
}

/** Parses a host name or IP address; an IPv6 address may come in brackets and is kept without. */
export function parseHost(raw: string, source: ValueSource): string {
  const trimmed = raw.trim()
  const bare = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed
  if (bare === '' || /[/,@[\]\s]/.test(bare)) {
    throw configError(source, `must be a host name or IP address, got ${JSON.stringify(raw)}`)
  }
  return bare
}

/** Checks an explicit duration or size option: a positive finite number. */
export function checkPositive(value: number, source: ValueSource): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw configError(source, `must be a positive number, got ${String(value)}`)
  }
  return value
}

/** Parses an absolute http(s) URL. */
export function parseHttpUrl(raw: string, source: ValueSource): URL {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw configError(
      source,
      `must be an absolute http:// or https:// URL, got ${JSON.stringify(raw)}`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(source, `must use http:// or https://, got ${JSON.stringify(raw)}`)
  }
  return url
}
