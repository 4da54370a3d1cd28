/**
 * The API key of this browser tab. Kept in sessionStorage only (gone when the
 * tab closes, never shared with other tabs or written to disk by us).
 */
const KEY_ITEM = 'wm.apiKey'

type Listener = () => void
const listeners = new Set<Listener>()

/** The key this tab signed in with, if any. */
export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM)
}

/** Uses `key` for calls without announcing a sign-in yet (the sign-in page tries it first). */
export function tryKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key)
}

/** Keeps `key` for this tab. */
export function signIn(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key)
  for (const listener of listeners) listener()
}

/** Forgets the key (sign-out, or the server answered 401 to it). */
export function signOut(): void {
  sessionStorage.removeItem(KEY_ITEM)
  for (const listener of listeners) listener()
}

/** Calls `listener` whenever the key changes; returns the unsubscribe function. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
