import { useState } from 'preact/hooks'
import { workspaces } from '../api/resources.js'
import { signIn, signOut, tryKey } from '../api/session.js'
import { ErrorBox } from './common.js'

/**
 * Asks for the API key and tries it on a cheap call before keeping it, so a
 * wrong key is refused here with the server's own error.
 */
export function SignIn() {
  const [key, setKey] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      tryKey(key)
      await workspaces.list()
      signIn(key)
    } catch (caught) {
      signOut()
      setError(caught)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="signin">
      <h1>Workspace Manager</h1>
      <form onSubmit={submit}>
        <label>
          API key
          <input
            type="password"
            name="api-key"
            autoComplete="current-password"
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
            required
          />
        </label>
        <button type="submit" disabled={busy || !key}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} />
      <p class="hint">The key is kept in this tab only (session storage).</p>
    </div>
  )
}
