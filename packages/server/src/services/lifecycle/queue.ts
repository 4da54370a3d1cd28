/**
 * Runs operations one at a time per key, in the order they were asked for;
 * different keys run side by side. A failed operation does not stop the
 * ones queued behind it.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>()

  /** Runs `operation` once every earlier one on `key` has settled. */
  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const current = previous.then(operation, operation)
    const settled = current.catch(() => undefined)
    this.#tails.set(key, settled)
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key)
    })
    return current
  }

  /** Whether an operation on `key` is running or waiting. */
  busy(key: string): boolean {
    return this.#tails.has(key)
  }

  /** Resolves once everything queued on `key` so far has settled. */
  async settled(key: string): Promise<void> {
    await this.#tails.get(key)
  }

  /** Resolves once everything queued so far, on every key, has settled. */
  async idle(): Promise<void> {
    while (this.#tails.size) await Promise.all(this.#tails.values())
  }
}
