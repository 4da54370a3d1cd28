/**
 * The store's database cannot be reached: refused or dropped connection, or
 * no connection to be had in time. The HTTP layer answers 503 code 1006;
 * the call can be tried again once the database is back.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}
