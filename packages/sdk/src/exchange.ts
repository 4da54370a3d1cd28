/**
 * Deadline and cancellation of one HTTP exchange: a caller's AbortSignal and an
 * inactivity timer both abort the same controller, and the first reason wins.
 */
import { clientError, WorkspaceError } from './errors.js'

/** Cancellation and deadline of one request, from start until its body is consumed. */
export class Exchange {
  readonly #controller = new AbortController()
  readonly #timeoutMs: number
  readonly #what: string
  readonly #callerSignal: AbortSignal | undefined
  #timer: NodeJS.Timeout | undefined
  #failure: WorkspaceError | undefined
  readonly #onCallerAbort = (): void => {
    this.fail(
      clientError('aborted', `${this.#what} was aborted`, { cause: this.#callerSignal?.reason }),
    )
  }

  /** Starts the timer; `what` names the request in error messages (e.g. `GET /v1/workspaces`). */
  constructor(what: string, timeoutMs: number, callerSignal?: AbortSignal) {
    this.#what = what
    this.#timeoutMs = timeoutMs
    this.#callerSignal = callerSignal
    if (callerSignal?.aborted) this.#onCallerAbort()
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true })
    this.touch()
  }

  /** Signal handed to `http.request`; aborting it tears the request down. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Restarts the inactivity timer; called whenever bytes move. */
  touch(): void {
    if (this.#failure) return
    clearTimeout(this.#timer)
    // `Infinity` means no inactivity limit (a stdin pipe may stay silent for hours).
    if (!Number.isFinite(this.#timeoutMs)) return
    // Unref'd: an open socket keeps the process alive while a request is in flight.
    this.#timer = setTimeout(() => this.#onTimeout(), this.#timeoutMs).unref()
  }

  /** Stops the timer but keeps honouring the caller's signal (for streams handed to the caller). */
  stopTimer(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Ends the exchange: no more timeouts, no more listening to the caller's signal. */
  finish(): void {
    this.stopTimer()
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort)
  }

  /** Aborts the request with this error, unless it already failed. */
  fail(error: WorkspaceError): void {
    if (this.#failure) return
    this.#failure = error
    this.finish()
    this.#controller.abort(error)
  }

  /** The error to report for a low-level failure: the recorded reason, or a network error. */
  translate(error: unknown): WorkspaceError {
    if (this.#failure) return this.#failure
    if (error instanceof WorkspaceError) return error
    const detail = error instanceof Error ? error.message : String(error)
    const code = (error as { code?: unknown } | null)?.code
    return clientError('network', `${this.#what} failed: ${detail}`, {
      cause: error,
      details: typeof code === 'string' ? { errno: code } : {},
    })
  }

  #onTimeout(): void {
    const seconds = this.#timeoutMs / 1000
    this.fail(clientError('timeout', `${this.#what} timed out after ${seconds}s without progress`))
  }
}
