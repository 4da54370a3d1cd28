import { StoreUnavailableError } from './errors.js'

/** Socket-level failures: the database host refused, dropped or never answered the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/**
 * SQLSTATEs of a server that is going away or refusing sessions: admin,
 * crash and start-up shutdowns, and too many connections. Class 08
 * (connection exception) is matched as a whole.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300'])

/** Errors node-postgres raises without a code when a connection is lost or never made. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection timeout/i

/** True when `error` says the database cannot be reached rather than that the query was wrong. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) {
      return true
    }
  }
  return UNAVAILABLE_MESSAGES.test(error.message)
}

/**
 * `error` as the store rejects with it: a lost database becomes a
 * StoreUnavailableError (its cause kept), anything else (a duplicate key, a
 * foreign key) passes through unchanged, as SQLite's constraint errors do.
 */
export function storeError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new StoreUnavailableError(`the database is not answering: ${reason}`, { cause: error })
}

/** SQLSTATEs worth one more try of the same statement: a foreign-key race, a deadlock. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return code === '23503' || code === '40P01'
}
